/// How a cluster's upstream connections are secured: a DestinationRule's `tls`, or, when it says
/// nothing, Istio's auto mutual TLS (mutual TLS to endpoints with a sidecar, plaintext to the rest).
public struct UpstreamTLS: Sendable, Hashable, Codable {
    /// Istio's `ClientTLSSettings.mode`, plus `auto` for "no DestinationRule says".
    public enum Mode: String, Sendable, Hashable, Codable { case auto, disable, simple, mutual, istioMutual }
    public var mode: Mode
    /// The server name sent; Istio's `outbound_.PORT_.SUBSET_.HOST` when unset under mutual TLS.
    public var sni: String?
    /// Names the server's certificate must carry (URI or DNS); for Istio mutual TLS the
    /// service's workload identities when empty.
    public var subjectAltNames: [String]
    /// MUTUAL: the client certificate and key files; SIMPLE and MUTUAL: the CA bundle file.
    public var clientCertificate: String?
    public var privateKey: String?
    public var caCertificates: String?
    /// SIMPLE and MUTUAL: accept any server certificate.
    public var insecureSkipVerify: Bool
    /// A gateway's `credentialName` (a Secret of its namespace), resolved by the control plane into
    /// PEM text; these take the place of the files.
    public var credentialName: String?
    public var clientCertificatePEM: String?
    public var privateKeyPEM: String?
    public var caCertificatesPEM: String?

    public init(mode: Mode = .auto, sni: String? = nil, subjectAltNames: [String] = [], clientCertificate: String? = nil, privateKey: String? = nil,
                caCertificates: String? = nil, insecureSkipVerify: Bool = false) {
        self.mode = mode
        self.sni = sni
        self.subjectAltNames = subjectAltNames
        self.clientCertificate = clientCertificate
        self.privateKey = privateKey
        self.caCertificates = caCertificates
        self.insecureSkipVerify = insecureSkipVerify
    }

    public static let auto = UpstreamTLS()

    /// Istio's SNI for mutual TLS between sidecars: `outbound_.9080_.v1_.reviews.default.svc.cluster.local`.
    public static func istioSNI(host: String, port: Int, subset: String?) -> String {
        "outbound_.\(port)_.\(subset ?? "")_.\(host)"
    }
}

/// What a sidecar's inbound port accepts (PeerAuthentication's mode after precedence).
public enum PeerAuthenticationMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// Mutual TLS and plaintext, told apart on each connection's first bytes (Istio's default).
    case permissive = "PERMISSIVE"
    /// Mutual TLS only: a plaintext connection is closed at once.
    case strict = "STRICT"
    /// Plaintext only.
    case disable = "DISABLE"
}

extension UpstreamTLS {
    /// Everything but a credential's private key, which dumps show as `[redacted]`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(mode, forKey: .mode)
        try container.encodeIfPresent(sni, forKey: .sni)
        try container.encode(subjectAltNames, forKey: .subjectAltNames)
        try container.encodeIfPresent(clientCertificate, forKey: .clientCertificate)
        try container.encodeIfPresent(privateKey, forKey: .privateKey)
        try container.encodeIfPresent(caCertificates, forKey: .caCertificates)
        try container.encode(insecureSkipVerify, forKey: .insecureSkipVerify)
        try container.encodeIfPresent(credentialName, forKey: .credentialName)
        try container.encodeIfPresent(clientCertificatePEM, forKey: .clientCertificatePEM)
        try container.encodeIfPresent(privateKeyPEM.map { _ in "[redacted]" }, forKey: .privateKeyPEM)
        try container.encodeIfPresent(caCertificatesPEM, forKey: .caCertificatesPEM)
    }
}
