import WeftAPI

/// What identifies a stored resource: group, kind, namespace ("" when cluster-scoped) and name.
public struct ResourceKey: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public var group: String
    public var kind: String
    public var namespace: String
    public var name: String

    public init(group: String, kind: String, namespace: String, name: String) {
        self.group = group
        self.kind = kind
        self.namespace = namespace
        self.name = name
    }

    public init(_ resource: any APIResource) {
        let type = resource.resourceType
        self.init(group: type.group, kind: type.kind, namespace: type.namespaced ? resource.namespace : "", name: resource.name)
    }

    /// `Kind namespace/name`, as messages and the CLI print a resource.
    public var description: String { namespace.isEmpty ? "\(kind) \(name)" : "\(kind) \(namespace)/\(name)" }

    /// Whether the key has this kind, namespace and name (nil matches any).
    public func matches(kind: String?, namespace: String?, name: String?) -> Bool {
        (kind == nil || self.kind == kind) && (namespace == nil || self.namespace == namespace) && (name == nil || self.name == name)
    }

    public static func < (lhs: ResourceKey, rhs: ResourceKey) -> Bool {
        (lhs.kind, lhs.namespace, lhs.name, lhs.group) < (rhs.kind, rhs.namespace, rhs.name, rhs.group)
    }
}

/// A resource as the store holds it: the value, its canonical JSON and the revision that last changed it.
public struct StoredResource: Sendable {
    public var key: ResourceKey
    public var resource: any APIResource
    /// Canonical JSON (sorted keys): what is persisted and served, and how "unchanged" is decided.
    public var json: String
    public var resourceVersion: Int64

    public init(resource: any APIResource, resourceVersion: Int64) throws {
        self.key = ResourceKey(resource)
        self.resource = resource
        self.json = try CanonicalJSON.encode(resource)
        self.resourceVersion = resourceVersion
    }
}
