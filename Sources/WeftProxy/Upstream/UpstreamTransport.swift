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

    /// Istio's auto mutual TLS and DestinationRule `tls`, for one endpoint of `cluster`.
    static func choose(cluster: ClusterConfig?, endpoint: EndpointGroup.Endpoint) -> UpstreamTransport {
        guard let cluster else { return .plaintext }
        let tls = cluster.tls
        switch tls.mode {
        case .disable:
            return .plaintext
        case .auto:
            guard let identity = endpoint.identity else { return .plaintext }
            return .istioMutual(sni: tls.sni ?? UpstreamTLS.istioSNI(host: cluster.serviceHost, port: cluster.port, subset: cluster.subset),
                                identities: cluster.serviceIdentities.isEmpty ? [identity] : cluster.serviceIdentities)
        case .istioMutual:
            let identities = !tls.subjectAltNames.isEmpty ? tls.subjectAltNames : !cluster.serviceIdentities.isEmpty ? cluster.serviceIdentities : endpoint.identity.map { [$0] } ?? []
            return .istioMutual(sni: tls.sni ?? UpstreamTLS.istioSNI(host: cluster.serviceHost, port: cluster.port, subset: cluster.subset), identities: identities)
        case .simple, .mutual:
            return .originate(tls, sni: tls.sni ?? cluster.serviceHost)
        }
    }

    /// The key idle connections are kept under.
    func poolKey(host: String, port: Int) -> String {
        switch self {
        case .plaintext: return "\(host):\(port)"
        case .istioMutual(let sni, _): return "\(host):\(port)|\(sni)"
        case .originate(_, let sni): return "\(host):\(port)|tls|\(sni)"
        }
    }
}
