import WeftModel

/// What a gateway does at the mesh's edge with what the proxies in front of it claim (ProxyConfig
/// `gatewayTopology`, read when the gateway starts): whether a PROXY protocol header names the
/// client, the client address it trusts from `X-Forwarded-For`, and what becomes of a request's
/// `X-Forwarded-Client-Cert`. As Istio's gateways (Envoy counts no address internal since 1.33),
/// every request is an edge request: it goes on with `X-Envoy-External-Address` set to the client
/// address the gateway trusts.
public struct GatewayEdge: Sendable, Equatable {
    /// Envoy's `forward_client_cert_details`.
    public enum ClientCertificate: String, Sendable, CaseIterable {
        /// The header is removed.
        case sanitize = "SANITIZE"
        /// Kept as sent when the client proved a certificate; removed otherwise.
        case forwardOnly = "FORWARD_ONLY"
        /// The client's certificate appended when it proved one; removed otherwise.
        case appendForward = "APPEND_FORWARD"
        /// Replaced with the client's certificate when it proved one; removed otherwise (Istio's gateway default).
        case sanitizeSet = "SANITIZE_SET"
        /// Kept as sent, whatever the connection.
        case alwaysForwardOnly = "ALWAYS_FORWARD_ONLY"
    }

    /// Proxies in front that each append to `X-Forwarded-For` (0: the peer is the client).
    public var trustedProxies: Int
    public var clientCertificate: ClientCertificate
    /// Every connection starts with a PROXY protocol header (`gatewayTopology.proxyProtocol`, set):
    /// its client is the one the header names.
    public var proxyProtocol: Bool

    public init(trustedProxies: Int = 0, clientCertificate: ClientCertificate = .sanitizeSet, proxyProtocol: Bool = false) {
        self.trustedProxies = max(0, trustedProxies)
        self.clientCertificate = clientCertificate
        self.proxyProtocol = proxyProtocol
    }

    /// From ProxyConfig's names: an absent or `UNDEFINED` mode is Istio's gateway default, SANITIZE_SET.
    public init(numTrustedProxies: Int?, forwardClientCertDetails: String?, proxyProtocol: Bool = false) {
        self.init(trustedProxies: numTrustedProxies ?? 0,
                  clientCertificate: forwardClientCertDetails.flatMap(ClientCertificate.init(rawValue:)) ?? .sanitizeSet,
                  proxyProtocol: proxyProtocol)
    }

    /// What a request's `X-Forwarded-Client-Cert` becomes; `details`: the connection's client
    /// certificate as the header describes it, nil when the client proved none.
    func forwardedClientCert(details: String?) -> ForwardedClientCert {
        guard let details else { return clientCertificate == .alwaysForwardOnly ? .keep : .sanitize }
        switch clientCertificate {
        case .sanitize: return .sanitize
        case .forwardOnly, .alwaysForwardOnly: return .keep
        case .appendForward: return .append(details)
        case .sanitizeSet: return .set(details)
        }
    }

    /// The client address the gateway trusts for a request from `peer` with `headers`.
    func clientAddress(peer: String?, headers: HeaderFields) -> String? {
        ForwardedFor.trustedClient(in: headers, trustedProxies: trustedProxies) ?? peer
    }
}
