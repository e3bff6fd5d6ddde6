/// What one side of a request says about its workload, as Istio's metrics label it: the
/// `source_*` or `destination_*` set. Made once per proxy from its own pod, or once per peer
/// from the metadata the peer's sidecar sent (`PeerMetadataHeader`).
public struct WorkloadMetadata: Sendable, Hashable {
    public var workload: String
    public var namespace: String
    public var app: String
    public var version: String
    public var canonicalService: String
    public var canonicalRevision: String
    public var cluster: String

    /// Istio's value for a label nothing told the proxy.
    public static let unknownValue = "unknown"
    /// Every field unknown: a peer without a sidecar.
    public static let unknown = WorkloadMetadata(workload: unknownValue, namespace: unknownValue, app: unknownValue, version: unknownValue,
                                                 canonicalService: unknownValue, canonicalRevision: unknownValue, cluster: unknownValue)

    public init(workload: String, namespace: String, app: String, version: String, canonicalService: String, canonicalRevision: String, cluster: String) {
        self.workload = workload
        self.namespace = namespace
        self.app = app
        self.version = version
        self.canonicalService = canonicalService
        self.canonicalRevision = canonicalRevision
        self.cluster = cluster
    }

    /// A pod's metadata as Istio derives it from its labels: canonical service from
    /// `service.istio.io/canonical-name`, else `app.kubernetes.io/name`, else `app`, else the
    /// workload name; canonical revision from `service.istio.io/canonical-revision`, else
    /// `app.kubernetes.io/version`, else `version`, else `latest`.
    public init(workload: String, namespace: String, labels: [String: String], cluster: String = "Kubernetes") {
        func first(_ keys: [String]) -> String? { keys.lazy.compactMap { labels[$0] }.first { !$0.isEmpty } }
        self.init(workload: workload, namespace: namespace,
                  app: first(["app", "app.kubernetes.io/name"]) ?? Self.unknownValue,
                  version: first(["version", "app.kubernetes.io/version"]) ?? Self.unknownValue,
                  canonicalService: first(["service.istio.io/canonical-name", "app.kubernetes.io/name", "app"]) ?? workload,
                  canonicalRevision: first(["service.istio.io/canonical-revision", "app.kubernetes.io/version", "version"]) ?? "latest",
                  cluster: cluster)
    }
}
