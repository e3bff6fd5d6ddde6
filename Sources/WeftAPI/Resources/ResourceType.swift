/// What identifies a kind of resource: its API group, kind, the versions Weft reads, and the
/// names the CLI accepts for it.
public struct ResourceType: Hashable, Sendable, CustomStringConvertible {
    /// "" for Kubernetes' core group.
    public var group: String
    public var kind: String
    public var versions: [String]
    /// Lower-case plural, as `kubectl get` takes it (`virtualservices`).
    public var plural: String
    public var shortNames: [String]
    /// False for cluster-scoped kinds (Namespace).
    public var namespaced: Bool

    public init(group: String, kind: String, versions: [String], plural: String, shortNames: [String] = [], namespaced: Bool = true) {
        self.group = group
        self.kind = kind
        self.versions = versions
        self.plural = plural
        self.shortNames = shortNames
        self.namespaced = namespaced
    }

    /// Splits `networking.istio.io/v1` into group and version; `v1` is the core group.
    public static func splitAPIVersion(_ apiVersion: String) -> (group: String, version: String) {
        guard let slash = apiVersion.lastIndex(of: "/") else { return ("", apiVersion) }
        return (String(apiVersion[..<slash]), String(apiVersion[apiVersion.index(after: slash)...]))
    }

    /// The newest version, used when Weft writes a resource of this type.
    public var preferredAPIVersion: String {
        let version = versions.first ?? "v1"
        return group.isEmpty ? version : "\(group)/\(version)"
    }

    public var description: String { group.isEmpty ? kind : "\(kind).\(group)" }
}

/// A resource kind Weft reads: Kubernetes metadata plus what `WeftAPI` knows how to check.
public protocol APIResource: Codable, Sendable, Hashable {
    static var resourceType: ResourceType { get }
    var apiVersion: String { get set }
    var kind: String { get set }
    var metadata: ObjectMeta { get set }
    /// Adds this resource's schema and semantic problems to `validator`; the paths start at the resource root.
    func validate(into validator: inout Validator)
}

extension APIResource {
    public var resourceType: ResourceType { Self.resourceType }
    public var name: String { metadata.name ?? "" }
    /// The namespace the resource lives in, `default` when the document does not say.
    public var namespace: String { metadata.namespace ?? (Self.resourceType.namespaced ? "default" : "") }
    /// `Kind namespace/name`, as messages name a resource.
    public var displayName: String {
        Self.resourceType.namespaced ? "\(Self.resourceType.kind) \(namespace)/\(name)" : "\(Self.resourceType.kind) \(name)"
    }
}

/// The `spec` of an Istio resource; the envelope is `IstioObject`.
public protocol IstioSpec: Codable, Sendable, Hashable {
    static var resourceType: ResourceType { get }
    init()
    /// Adds this spec's problems; `path` is `spec`.
    func validate(into validator: inout Validator, at path: FieldPath, meta: ObjectMeta)
}

/// An Istio resource: Kubernetes envelope, a typed `spec`, and an opaque `status`.
public struct IstioObject<Spec: IstioSpec>: APIResource {
    public var apiVersion: String
    public var kind: String
    public var metadata: ObjectMeta
    public var spec: Spec
    public var status: AnyValue?

    public static var resourceType: ResourceType { Spec.resourceType }

    public init(metadata: ObjectMeta, spec: Spec = Spec()) {
        self.apiVersion = Spec.resourceType.preferredAPIVersion
        self.kind = Spec.resourceType.kind
        self.metadata = metadata
        self.spec = spec
    }

    enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, spec, status }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try container.decode(String.self, forKey: .apiVersion)
        kind = try container.decode(String.self, forKey: .kind)
        metadata = try container.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        spec = try container.decodeIfPresent(Spec.self, forKey: .spec) ?? Spec()
        status = try container.decodeIfPresent(AnyValue.self, forKey: .status)
    }

    public func validate(into validator: inout Validator) {
        validator.validateMetadata(metadata, type: Self.resourceType)
        spec.validate(into: &validator, at: FieldPath([.key("spec")]), meta: metadata)
    }
}
