import GRPCNIOTransportHTTP2

/// How a proxy reaches the control plane's gRPC listener (discovery and certificates): plaintext
/// on loopback, TLS checked against the mesh root when the control plane serves it (beyond
/// loopback; `rootPEM` is then known: `WEFT_CA_ROOT`, or what the control plane left on this host).
public enum ControlPlaneTransport {
    public static func make(host: String, port: Int, rootPEM: String?) throws -> HTTP2ClientTransport.Posix {
        guard let rootPEM else { return try HTTP2ClientTransport.Posix(target: .ipv4(address: host, port: port), transportSecurity: .plaintext) }
        return try HTTP2ClientTransport.Posix(target: .ipv4(address: host, port: port), transportSecurity: .tls { tls in
            tls.trustRoots = .certificates([.bytes(Array(rootPEM.utf8), format: .pem)])
        })
    }
}
