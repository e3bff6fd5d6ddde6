/// Istio's Gateway: the ports, hosts and TLS a gateway proxy serves.
public typealias Gateway = IstioObject<GatewaySpec>

/// `networking.istio.io` Gateway spec (gateway.proto).
public struct GatewaySpec: IstioSpec {
    public static let resourceType = ResourceType(group: "networking.istio.io", kind: "Gateway", versions: ["v1", "v1beta1", "v1alpha3"], plural: "gateways", shortNames: ["gw"])
    public var servers: [Server]?
    public var selector: [String: String]?
    public init() {}
}

/// One listening port of a gateway with its hosts and TLS.
public struct Server: Codable, Sendable, Hashable {
    public var port: Port?
    public var bind: String?
    public var hosts: [String]?
    public var tls: ServerTLSSettings?
    public var defaultEndpoint: String?
    public var name: String?
}

/// A port: number, protocol and name.
public struct Port: Codable, Sendable, Hashable {
    public var number: Int?
    public var `protocol`: String?
    public var name: String?
    public var targetPort: Int?
}

/// TLS a gateway (or a Sidecar ingress listener) terminates.
public struct ServerTLSSettings: Codable, Sendable, Hashable {
    /// How the server handles TLS.
    public enum Mode: String, APIEnum { case PASSTHROUGH, SIMPLE, MUTUAL, AUTO_PASSTHROUGH, ISTIO_MUTUAL, OPTIONAL_MUTUAL }
    /// TLS protocol versions.
    public enum ProtocolVersion: String, APIEnum { case TLS_AUTO, TLSV1_0, TLSV1_1, TLSV1_2, TLSV1_3 }
    /// A certificate and key pair served alongside others (RSA and ECDSA).
    public struct TLSCertificate: Codable, Sendable, Hashable {
        public var serverCertificate: String?
        public var privateKey: String?
        public var caCertificates: String?
    }
    public var httpsRedirect: Bool?
    public var mode: Mode?
    public var serverCertificate: String?
    public var privateKey: String?
    public var caCertificates: String?
    public var caCrl: String?
    public var credentialName: String?
    public var credentialNames: [String]?
    public var tlsCertificates: [TLSCertificate]?
    public var subjectAltNames: [String]?
    public var verifyCertificateSpki: [String]?
    public var verifyCertificateHash: [String]?
    public var minProtocolVersion: ProtocolVersion?
    public var maxProtocolVersion: ProtocolVersion?
    public var cipherSuites: [String]?
}
