import WeftAPI

/// A resource as analyzers see it: the decoded value with the namespace it is analyzed in
/// and where it came from.
public struct AnalyzedResource: Sendable {
    public var resource: any APIResource
    /// The namespace used for lookups: as written, else the analysis default ("" in Istio's tests).
    public var namespace: String
    public var source: SourceLocation?

    public init(resource: any APIResource, namespace: String, source: SourceLocation?) {
        self.resource = resource
        self.namespace = resource.resourceType.namespaced ? namespace : ""
        self.source = source
    }

    public var kind: String { resource.resourceType.kind }
    public var name: String { resource.metadata.name ?? "" }
    public var labels: [String: String] { resource.metadata.labels ?? [:] }
    public var annotations: [String: String] { resource.metadata.annotations ?? [:] }
    /// `namespace/name`, or `name` alone when the namespace is empty (Istio's FullName).
    public var fullName: String { namespace.isEmpty ? name : "\(namespace)/\(name)" }
    public var ref: ResourceRef { ResourceRef(kind: kind, namespace: namespace, name: name, file: source?.file) }

    public func `as`<T: APIResource>(_ type: T.Type) -> T? { resource as? T }
}

/// A Kubernetes Gateway API Gateway, kept for reference checks only (Weft does not serve them).
public struct KubernetesGatewayRef: Sendable, Hashable {
    public var namespace: String
    public var name: String
    public var hostnames: [String]
}

/// Everything one analysis runs over.
public struct AnalysisInput: Sendable {
    public var resources: [AnalyzedResource] = []
    public var meshConfig: MeshConfig = MeshConfig()
    /// Node labels by node name (topology labels for subset checks).
    public var nodeLabels: [String: [String: String]] = [:]
    public var kubernetesGateways: [KubernetesGatewayRef] = []
    /// Problems found while reading the inputs (syntax, schema), reported as IST0106 by the schema analyzer.
    public var loadReports: [ResourceReport] = []
    /// What the control plane last got from each `jwksUri` (empty when analyzing files alone).
    public var keySetFetches: [JWKSStatuses.Status] = []

    public init() {}
}
