import WeftAPI

/// All configuration at one revision: immutable, indexed once. A change builds the next one.
public struct MeshSnapshot: Sendable {
    public let revision: Int64
    public let resources: [ResourceKey: StoredResource]
    /// Keys in a stable order (kind, namespace, name).
    public let orderedKeys: [ResourceKey]

    public init(revision: Int64, resources: [ResourceKey: StoredResource]) {
        self.revision = revision
        self.resources = resources
        self.orderedKeys = resources.keys.sorted()
    }

    public static let empty = MeshSnapshot(revision: 0, resources: [:])

    public var all: [StoredResource] { orderedKeys.compactMap { resources[$0] } }

    /// Resources of a kind (nil for all), in a namespace (nil for all), with a name (nil for all).
    public func list(kind: String? = nil, namespace: String? = nil, name: String? = nil) -> [StoredResource] {
        all.filter { stored in
            (kind == nil || stored.key.kind == kind) && (namespace == nil || stored.key.namespace == namespace) && (name == nil || stored.key.name == name)
        }
    }
}
