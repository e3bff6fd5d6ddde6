import Foundation
import GRPCNIOTransportHTTP2

/// How a proxy reaches the control plane's gRPC listener (discovery and certificates): plaintext
/// on loopback, TLS checked against the mesh root when the control plane serves it (beyond
/// loopback; `rootPEM` is then known: `WEFT_CA_ROOT`, or what the control plane left on this host).
/// A sidecar in a pod's network namespace, where the host's loopback is not, connects through the
/// Unix socket `WEFT_DISCOVERY_SOCKET` names (its runner relays it to `host:port`); TLS still
/// checks the control plane's name.
public enum ControlPlaneTransport {
    public static func make(host: String, port: Int, rootPEM: String?) throws -> HTTP2ClientTransport.Posix {
        let socket = ProcessInfo.processInfo.environment["WEFT_DISCOVERY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        let security: HTTP2ClientTransport.Posix.TransportSecurity = rootPEM.map { rootPEM in
            .tls { tls in tls.trustRoots = .certificates([.bytes(Array(rootPEM.utf8), format: .pem)]) }
        } ?? .plaintext
        if let socket {
            return try HTTP2ClientTransport.Posix(target: .unixDomainSocket(path: socket, authority: "\(host):\(port)"), transportSecurity: security)
        }
        return try HTTP2ClientTransport.Posix(target: .ipv4(address: host, port: port), transportSecurity: security)
    }
}
