import WeftAPI

/// All configuration at one revision: immutable, indexed once (`index`). A change builds the next one.
public struct MeshSnapshot: Sendable {
    public let revision: Int64
    public let resources: [ResourceKey: StoredResource]
    /// Keys in a stable order (kind, namespace, name).
    public let orderedKeys: [ResourceKey]
    /// Stored entries this build cannot decode: not part of the mesh, but kept and reported.
    public let unreadable: [ResourceKey: UnreadableResource]
    /// The resources sorted by kind and namespace, and what config alone derives (built here, once).
    public let index: ConfigIndex

    public init(revision: Int64, resources: [ResourceKey: StoredResource], unreadable: [ResourceKey: UnreadableResource] = [:]) {
        self.revision = revision
        self.resources = resources
        self.orderedKeys = resources.keys.sorted()
        self.unreadable = unreadable
        self.index = ConfigIndex(orderedKeys.compactMap { resources[$0]?.resource })
    }

    public static let empty = MeshSnapshot(revision: 0, resources: [:])

    public var all: [StoredResource] { orderedKeys.compactMap { resources[$0] } }

    /// Resources of a kind (nil for all), in a namespace (nil for all), with a name (nil for all).
    public func list(kind: String? = nil, namespace: String? = nil, name: String? = nil) -> [StoredResource] {
        all.filter { $0.key.matches(kind: kind, namespace: namespace, name: name) }
    }

    /// Unreadable entries, filtered as `list` filters.
    public func listUnreadable(kind: String? = nil, namespace: String? = nil, name: String? = nil) -> [UnreadableResource] {
        unreadable.keys.sorted().compactMap { unreadable[$0] }.filter { $0.key.matches(kind: kind, namespace: namespace, name: name) }
    }

    /// What the store holds at this revision: every resource, and every unreadable entry as it was.
    var storeContents: StoreContents {
        let entries = all.map { StoreContents.Entry(resourceVersion: $0.resourceVersion, json: $0.json) }
        return StoreContents(revision: revision, entries: entries + unreadable.keys.sorted().compactMap { unreadable[$0]?.entry })
    }
}
