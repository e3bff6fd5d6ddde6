/// One Gateway server's TLS as its gateway applies it: Istio's `ServerTLSSettings` with the
/// credential resolved (a Secret's PEM text carried inline, or files on the gateway's host).
public struct GatewayServerTLS: Sendable, Hashable, Codable {
    /// Istio's `tls.mode` on a gateway server.
    public enum Mode: String, Sendable, Hashable, Codable {
        case simple, mutual, optionalMutual, istioMutual
        /// Not terminated: the connection is routed by server name (the listener's `sniRoutes`).
        case passthrough
    }

    /// Server names that choose this server: exact, `*.example.com`, or `*` (any name, and none).
    public var serverNames: [String]
    public var mode: Mode
    /// PEM text of the certificate chain, key and trusted CAs (from a Secret).
    public var certificateChain: String?
    public var privateKey: String?
    public var caCertificates: String?
    /// The same as files on the gateway's host (`serverCertificate`, `privateKey`, `caCertificates`).
    public var certificateChainFile: String?
    public var privateKeyFile: String?
    public var caCertificatesFile: String?
    /// MUTUAL: what a client certificate must carry (a SAN, the SPKI's base64 SHA-256, the
    /// certificate's hex SHA-256); empty: anything the CAs signed.
    public var subjectAltNames: [String] = []
    public var verifyCertificateSpki: [String] = []
    public var verifyCertificateHash: [String] = []
    /// `TLSV1_0` … `TLSV1_3`; nil: Istio's defaults (TLS 1.2 to 1.3).
    public var minimumVersion: String?
    public var maximumVersion: String?
    /// BoringSSL cipher names, Envoy's; empty: its defaults.
    public var cipherSuites: [String] = []
    /// The `credentialName` the material came from (reasons and counters).
    public var credentialName: String?
    /// Why the credential cannot be used; set: the server refuses its connections.
    public var credentialError: String?

    public init(serverNames: [String], mode: Mode) {
        self.serverNames = serverNames
        self.mode = mode
    }

    /// Whether TLS ends at the gateway (every mode but PASSTHROUGH).
    public var terminates: Bool { mode != .passthrough }

    /// Envoy's filter chain match on server names: an exact name, then the longest matching
    /// `*.suffix`, then a server for any name (`*`, which alone takes a hello without SNI).
    public static func select(_ servers: [GatewayServerTLS], serverName: String?) -> GatewayServerTLS? {
        if let name = serverName?.lowercased() {
            if let exact = servers.first(where: { $0.serverNames.contains { $0.lowercased() == name } }) { return exact }
            var best: (GatewayServerTLS, Int)?
            for server in servers {
                for pattern in server.serverNames where pattern.hasPrefix("*.") && name.hasSuffix(pattern.dropFirst().lowercased()) {
                    if best == nil || pattern.count > best!.1 { best = (server, pattern.count) }
                }
            }
            if let best { return best.0 }
        }
        return servers.first { $0.serverNames.contains("*") }
    }
}

extension GatewayServerTLS {
    /// As Envoy's config dump shows a secret: everything but the private key, which reads `[redacted]`
    /// (so `/config_dump` and `weft proxy-config` never show it).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(serverNames, forKey: .serverNames)
        try container.encode(mode, forKey: .mode)
        try container.encodeIfPresent(certificateChain, forKey: .certificateChain)
        try container.encodeIfPresent(privateKey.map { _ in "[redacted]" }, forKey: .privateKey)
        try container.encodeIfPresent(caCertificates, forKey: .caCertificates)
        try container.encodeIfPresent(certificateChainFile, forKey: .certificateChainFile)
        try container.encodeIfPresent(privateKeyFile, forKey: .privateKeyFile)
        try container.encodeIfPresent(caCertificatesFile, forKey: .caCertificatesFile)
        try container.encode(subjectAltNames, forKey: .subjectAltNames)
        try container.encode(verifyCertificateSpki, forKey: .verifyCertificateSpki)
        try container.encode(verifyCertificateHash, forKey: .verifyCertificateHash)
        try container.encodeIfPresent(minimumVersion, forKey: .minimumVersion)
        try container.encodeIfPresent(maximumVersion, forKey: .maximumVersion)
        try container.encode(cipherSuites, forKey: .cipherSuites)
        try container.encodeIfPresent(credentialName, forKey: .credentialName)
        try container.encodeIfPresent(credentialError, forKey: .credentialError)
    }
}
