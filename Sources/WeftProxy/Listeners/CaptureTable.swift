import WeftModel

/// What transparent capture reads from a configuration: where a connection addressed to a
/// service's virtual IP (or a workload's own address) and port belongs, and what the service
/// names a pod's DNS asks for resolve to. Built once per configuration.
public struct CaptureTable: Sendable {
    /// An IPv4 address and port, as `SO_ORIGINAL_DST` gives them.
    public struct Destination: Hashable, Sendable {
        public var address: String
        public var port: Int
        public init(address: String, port: Int) {
            self.address = address
            self.port = port
        }
    }

    /// Where a captured outbound connection goes.
    enum Outbound: Equatable {
        /// An HTTP port of a known service: the connection's requests are routed as the outbound listener routes them.
        case http(port: Int)
        /// A TCP port of a known service: spliced to the cluster.
        case tcp(cluster: String)
        /// A port whose protocol is not declared: its first bytes decide (HTTP is routed, the rest goes to the cluster).
        case sniff(port: Int, cluster: String)
        /// Not in the registry, under ALLOW_ANY: on to where it was addressed (Envoy's PassthroughCluster).
        case passthrough
        /// Not in the registry, under REGISTRY_ONLY: closed (BlackHoleCluster).
        case blackhole
    }

    /// A service port's default cluster (no subset) and the port's declared protocol.
    private struct Service: Sendable {
        var cluster: String
        var serviceProtocol: String?
    }

    /// Service ports by virtual IP and port and by endpoint address and port.
    private let clusters: [Destination: Service]
    /// Service host name → virtual IPs.
    let hosts: [String: [String]]
    private let allowsAny: Bool

    init(_ configuration: ProxyConfiguration, endpoints: [String: [EndpointGroup.Endpoint]]) {
        var clusters: [Destination: Service] = [:]
        var hosts: [String: [String]] = [:]
        for cluster in configuration.clusters where cluster.subset == nil {
            for address in cluster.serviceAddresses {
                let destination = Destination(address: address, port: cluster.port)
                if clusters[destination] == nil { clusters[destination] = Service(cluster: cluster.name, serviceProtocol: cluster.serviceProtocol) }
            }
            if !cluster.serviceAddresses.isEmpty { hosts[cluster.serviceHost.lowercased()] = cluster.serviceAddresses }
        }
        // A pod called by its own address (a headless service, a StatefulSet) is its service's too.
        for cluster in configuration.clusters where cluster.subset == nil {
            for endpoint in endpoints[cluster.name] ?? [] {
                let destination = Destination(address: endpoint.address, port: endpoint.port)
                if clusters[destination] == nil { clusters[destination] = Service(cluster: cluster.name, serviceProtocol: cluster.serviceProtocol) }
            }
        }
        self.clusters = clusters
        self.hosts = hosts
        allowsAny = configuration.routeTables.first { $0.name == "outbound" }?.fallback != .blackhole
    }

    /// Where a connection captured on its way to `destination` goes.
    func outbound(_ destination: Destination) -> Outbound {
        guard let service = clusters[destination] else { return allowsAny ? .passthrough : .blackhole }
        switch service.serviceProtocol?.uppercased() {
        case "HTTP", "HTTP2", "GRPC", "GRPC-WEB": return .http(port: destination.port)
        case nil, "": return .sniff(port: destination.port, cluster: service.cluster)
        default: return .tcp(cluster: service.cluster)
        }
    }

    /// The virtual IPs of `name` as a pod in `namespace` asks for it: the full name, or the
    /// Kubernetes short forms (`reviews`, `reviews.default`, `reviews.default.svc`); nil when no
    /// service has the name (the question goes on to the host's resolver).
    public func addresses(of name: String, namespace: String) -> [String]? {
        var name = name.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        for candidate in [name, name + ".svc.cluster.local", name + ".cluster.local", "\(name).\(namespace).svc.cluster.local"] {
            if let addresses = hosts[candidate] { return addresses }
        }
        return nil
    }
}
