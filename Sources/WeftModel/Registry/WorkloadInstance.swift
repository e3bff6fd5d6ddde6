/// One running instance of a workload (Istio's pod): its identity, labels and address.
public struct WorkloadInstance: Sendable, Hashable {
    /// Where the registry learned of it.
    public enum Origin: String, Sendable, Hashable {
        case workloadEntry, sidecar, serviceEntryEndpoint
        /// A gateway (router) that connected: an endpoint of the Services selecting it (the egress
        /// gateway behind `istio-egressgateway`), plaintext unless a DestinationRule says otherwise.
        case gateway
    }

    public var name: String
    public var namespace: String
    public var labels: [String: String]
    public var serviceAccount: String
    /// The pod IP (a loopback address in host mode) or a host name for DNS endpoints.
    public var address: String
    /// Container ports by name (`http` → 9080); unnamed ports appear under their number.
    public var namedPorts: [String: Int]
    /// `region/zone/subzone`, or "".
    public var locality: String
    public var weight: Int
    public var origin: Origin
    /// Weft: the proxy id of the sidecar that registered it, when it did.
    public var proxyID: String?
    /// Whether the application answers (a pod's readiness); only ready workloads are endpoints.
    public var ready: Bool = true

    public init(name: String, namespace: String, labels: [String: String], serviceAccount: String = "default", address: String,
                namedPorts: [String: Int] = [:], locality: String = "", weight: Int = 1, origin: Origin, proxyID: String? = nil) {
        self.name = name
        self.namespace = namespace
        self.labels = labels
        self.serviceAccount = serviceAccount
        self.address = address
        self.namedPorts = namedPorts
        self.locality = locality
        self.weight = weight
        self.origin = origin
        self.proxyID = proxyID
    }

    /// The SPIFFE identity Istio gives this workload, without the `spiffe://` scheme.
    public func identity(trustDomain: String = "cluster.local") -> String {
        "\(trustDomain)/ns/\(namespace)/sa/\(serviceAccount)"
    }

    /// Whether `selector` (all key/values) matches this workload's labels.
    public func matches(_ selector: [String: String]) -> Bool {
        selector.allSatisfy { labels[$0.key] == $0.value }
    }
}

/// A workload address and port that serves one service port.
public struct ServiceEndpoint: Sendable, Hashable {
    public var address: String
    public var port: Int
    public var labels: [String: String]
    public var serviceAccount: String
    public var locality: String
    public var weight: Int
    public var workloadName: String
    public var namespace: String
    /// The workload runs a sidecar (it registered by its proxy, or carries Istio's
    /// `security.istio.io/tlsMode: istio` label): it can take Istio mutual TLS.
    public var hasSidecar = false

    public init(address: String, port: Int, labels: [String: String], serviceAccount: String, locality: String = "", weight: Int = 1, workloadName: String, namespace: String,
                hasSidecar: Bool = false) {
        self.hasSidecar = hasSidecar
        self.address = address
        self.port = port
        self.labels = labels
        self.serviceAccount = serviceAccount
        self.locality = locality
        self.weight = weight
        self.workloadName = workloadName
        self.namespace = namespace
    }
}
