/// An upstream cluster: one service port (and subset) with its traffic policy.
public struct ClusterConfig: Sendable, Hashable, Codable {
    /// Simple load balancing.
    public enum LoadBalancer: String, Sendable, Hashable, Codable { case roundRobin, leastRequest, random, passthrough }

    /// `outbound|9080|v1|reviews.default.svc.cluster.local`, Istio's cluster name.
    public var name: String
    public var serviceHost: String
    public var port: Int
    public var subset: String?
    /// Labels an endpoint must carry to belong to the subset.
    public var subsetLabels: [String: String]
    public var loadBalancer: LoadBalancer
    public var connectTimeoutMs: Int
    /// Circuit breaking and connection handling (DestinationRule connectionPool).
    public var connectionPool = ConnectionPoolPolicy()
    /// Consistent hashing in place of `loadBalancer`, when set.
    public var hashPolicy: HashPolicy?
    public var warmup: WarmupPolicy?
    /// Passive health checking; also what lets locality failover move traffic.
    public var outlierDetection: OutlierPolicy?
    /// How connections to its endpoints are secured (DestinationRule `tls`, else auto mutual TLS).
    public var tls: UpstreamTLS = .auto
    /// The SPIFFE identities (URIs) of the service's workloads: a mutual TLS server must show one.
    public var serviceIdentities: [String] = []
    /// Requests go upstream as HTTP/2 streams (an `http2`/`grpc` port, or h2UpgradePolicy UPGRADE).
    public var http2 = false
    /// Requests go upstream in the protocol they came in (`useClientProtocol`): HTTP/2 from an HTTP/2 client.
    public var useClientProtocol = false
    /// How endpoints named by a host name become addresses.
    public var dnsLookup: DNSLookup = .none
    /// A MESH_EXTERNAL ServiceEntry's: no peer metadata goes to it (Istio's metadata exchange skips external services).
    public var meshExternal = false
    /// The service's virtual IPs (what a captured connection was addressed to; what its names resolve to in a pod).
    public var serviceAddresses: [String] = []
    /// The service port's protocol (HTTP, TCP, GRPC...); nil when undeclared.
    public var serviceProtocol: String?

    /// A ServiceEntry's `resolution: DNS` (`strict`: each address of the name an endpoint, Envoy's
    /// STRICT_DNS) or `DNS_ROUND_ROBIN` (`logical`: the name one endpoint whose connections go to its
    /// first address and outlive answers that change, Envoy's LOGICAL_DNS); `none` for address endpoints.
    public enum DNSLookup: String, Sendable, Hashable, Codable { case none, strict, logical }

    public init(serviceHost: String, port: Int, subset: String?, subsetLabels: [String: String] = [:], loadBalancer: LoadBalancer = .roundRobin, connectTimeoutMs: Int = 10_000) {
        self.name = ClusterConfig.name(host: serviceHost, port: port, subset: subset)
        self.serviceHost = serviceHost
        self.port = port
        self.subset = subset
        self.subsetLabels = subsetLabels
        self.loadBalancer = loadBalancer
        self.connectTimeoutMs = connectTimeoutMs
    }

    public static func name(host: String, port: Int, subset: String?) -> String {
        "outbound|\(port)|\(subset ?? "")|\(host)"
    }
}

/// The endpoints of one cluster.
public struct EndpointGroup: Sendable, Hashable, Codable {
    /// One endpoint address.
    public struct Endpoint: Sendable, Hashable, Codable {
        public var address: String
        public var port: Int
        public var labels: [String: String]
        public var locality: String
        public var weight: Int
        public var workload: String
        /// Locality failover: 0 is the caller's own locality, higher is farther (Envoy's priorities).
        public var priority: Int
        /// Locality distribute: the weight of this endpoint's share of its locality, when set.
        public var localityWeight: Int?
        /// The workload's SPIFFE identity (URI) when it takes Istio mutual TLS on this port: it has a
        /// sidecar and PeerAuthentication does not disable it. Nil for a plaintext endpoint.
        public var identity: String?
        public init(address: String, port: Int, labels: [String: String], locality: String, weight: Int, workload: String, priority: Int = 0, localityWeight: Int? = nil,
                    identity: String? = nil) {
            self.identity = identity
            self.address = address
            self.port = port
            self.labels = labels
            self.locality = locality
            self.weight = weight
            self.workload = workload
            self.priority = priority
            self.localityWeight = localityWeight
        }

        /// `address:port`, the key health and balancing state is kept under.
        public var key: String { "\(address):\(port)" }
    }
    public var cluster: String
    public var endpoints: [Endpoint]
    public init(cluster: String, endpoints: [Endpoint]) {
        self.cluster = cluster
        self.endpoints = endpoints
    }
}
