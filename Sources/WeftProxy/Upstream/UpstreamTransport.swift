import WeftModel

/// How one upstream connection is secured, decided with the endpoint (PickEndpoint): plaintext,
/// Istio mutual TLS with the workload certificate, or TLS a DestinationRule originates.
/// Connections are pooled per transport: a plaintext and a TLS connection to one endpoint never mix.
public enum UpstreamTransport: Sendable, Hashable {
    case plaintext
    /// Istio mutual TLS: the SNI sent and the identities the server's certificate may carry.
    case istioMutual(sni: String, identities: [String])
    /// DestinationRule `SIMPLE` or `MUTUAL` with the proxy's own files.
    case originate(UpstreamTLS, sni: String)

    /// Istio's auto mutual TLS and DestinationRule `tls`, for one endpoint of `cluster`;
    /// `serverName` is the cluster's (`serverName(of:)`, made once per configuration, not per request).
    static func choose(cluster view: ClusterView?, endpoint: EndpointGroup.Endpoint, serverName: String? = nil) -> UpstreamTransport {
        guard let view else { return .plaintext }
        let tls = view.config.tls
        // Read in place only when needed: a plaintext request copies nothing of the cluster.
        var cluster: ClusterConfig { view.config }
        // Made only for TLS (a plaintext request builds no string for it).
        var sni: String { serverName ?? Self.serverName(of: cluster) }
        switch tls.mode {
        case .disable:
            return .plaintext
        case .auto:
            guard let identity = endpoint.identity else { return .plaintext }
            return .istioMutual(sni: sni, identities: cluster.serviceIdentities.isEmpty ? [identity] : cluster.serviceIdentities)
        case .istioMutual:
            let identities = !tls.subjectAltNames.isEmpty ? tls.subjectAltNames : !cluster.serviceIdentities.isEmpty ? cluster.serviceIdentities : endpoint.identity.map { [$0] } ?? []
            return .istioMutual(sni: sni, identities: identities)
        case .simple, .mutual:
            return .originate(tls, sni: sni)
        }
    }

    /// The SNI a cluster's TLS sends: the DestinationRule's, else Istio's `outbound_.PORT_.SUBSET_.HOST`
    /// for mutual TLS between sidecars, else the service host.
    static func serverName(of cluster: ClusterConfig) -> String {
        if let sni = cluster.tls.sni { return sni }
        switch cluster.tls.mode {
        case .simple, .mutual: return cluster.serviceHost
        case .auto, .istioMutual, .disable: return UpstreamTLS.istioSNI(host: cluster.serviceHost, port: cluster.port, subset: cluster.subset)
        }
    }

    /// The key idle connections are kept under.
    func poolKey(host: String, port: Int, cluster: String) -> UpstreamPoolKey {
        switch self {
        case .plaintext: return UpstreamPoolKey(cluster: cluster, host: host, port: port, security: .plaintext, serverName: "")
        case .istioMutual(let sni, _): return UpstreamPoolKey(cluster: cluster, host: host, port: port, security: .istioMutual, serverName: sni)
        case .originate(_, let sni): return UpstreamPoolKey(cluster: cluster, host: host, port: port, security: .originated, serverName: sni)
        }
    }
}

/// What a pooled connection is reused for: its cluster (as Envoy keeps a pool per cluster: two
/// services with the same endpoints keep their own connections, each under its own DestinationRule's
/// limits), its endpoint, how it is secured and the server name it sent. A value, not a string made
/// per request (`host:port|sni` cost ~1k instructions to build).
struct UpstreamPoolKey: Hashable, Sendable {
    enum Security: UInt8, Hashable, Sendable { case plaintext, istioMutual, originated }
    var cluster: String
    var host: String
    var port: Int
    var security: Security
    var serverName: String

    /// Whether this is the key `transport.poolKey(host:port:cluster:)` makes, compared field by
    /// field without making it.
    func matches(host: String, port: Int, cluster: String, transport: UpstreamTransport) -> Bool {
        guard self.port == port, self.host == host, self.cluster == cluster else { return false }
        switch transport {
        case .plaintext: return security == .plaintext
        case .istioMutual(let sni, _): return security == .istioMutual && serverName == sni
        case .originate(_, let sni): return security == .originated && serverName == sni
        }
    }
}
