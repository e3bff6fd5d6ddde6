import NIOSSL
import SwiftASN1
import X509

/// The TLS contexts made from one workload certificate, for Istio mutual TLS between sidecars:
/// the server side (inbound: the peer must present a certificate chained to the mesh roots) and
/// the client side (to other sidecars: the same roots, the peer's identity checked after the
/// handshake). Rebuilt whole on every rotation, so a connection uses one certificate throughout.
public struct MeshTLSContexts: Sendable {
    /// What a client sidecar's connection will carry, which its ALPN tells the server sidecar.
    enum Carried: Sendable {
        case http1, http2, tcp

        /// Istio's ALPN between sidecars (Envoy's `istio.alpn` override: `istio-http/1.1`, `istio-h2`; `istio` for TCP).
        var protocols: [String] {
            switch self {
            case .http1: ["istio-peer-exchange", "istio-http/1.1"]
            case .http2: ["istio-peer-exchange", "istio-h2"]
            case .tcp: ["istio-peer-exchange", "istio"]
            }
        }
    }

    /// What an inbound port accepts, in the server's order of preference (Istio's inbound chains
    /// match the `istio-*` names; `h2`/`http/1.1` are a client outside the mesh's).
    static let serverProtocols = ["istio-h2", "istio-http/1.1", "istio-http/1.0", "istio", "istio-peer-exchange", "h2", "http/1.1"]
    /// Negotiated names that mean HTTP/2 on the connection (no preface sniffing needed).
    static let http2Protocols: Set<String> = ["istio-h2", "h2"]

    let server: NIOSSLContext
    /// The HTTP/1.1 client context (also `client(carrying:)`'s).
    let client: NIOSSLContext
    private let clientHTTP2: NIOSSLContext
    private let clientTCP: NIOSSLContext
    /// The mesh roots the contexts trust (the published bundle: more than one during a root change).
    let roots: [NIOSSLCertificate]
    /// A client of the control plane's HTTPS API (spans to its built-in collector).
    let collector: NIOSSLContext

    init(_ certificate: WorkloadCertificate) throws {
        let chain = try ([certificate.leaf] + certificate.intermediates).map { try NIOSSLCertificate(bytes: Self.der($0), format: .der) }
        let key = try NIOSSLPrivateKey(bytes: Array(certificate.privateKey.pemRepresentation.utf8), format: .pem)
        let roots = try certificate.roots.map { try NIOSSLCertificate(bytes: Self.der($0), format: .der) }
        var server = TLSConfiguration.makeServerConfigurationWithMTLS(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key),
                                                                      trustRoots: .certificates(roots))
        server.minimumTLSVersion = .tlsv12
        server.applicationProtocols = Self.serverProtocols
        var client = TLSConfiguration.makeClientConfiguration()
        client.certificateChain = chain.map { .certificate($0) }
        client.privateKey = .privateKey(key)
        client.trustRoots = .certificates(roots)
        client.certificateVerification = .noHostnameVerification
        client.minimumTLSVersion = .tlsv12
        self.server = try NIOSSLContext(configuration: server)
        func context(_ carried: Carried) throws -> NIOSSLContext {
            var configuration = client
            configuration.applicationProtocols = carried.protocols
            return try NIOSSLContext(configuration: configuration)
        }
        self.client = try context(.http1)
        // The control plane's API (the built-in trace collector beyond loopback): the mesh roots, no ALPN.
        collector = try NIOSSLContext(configuration: client)
        clientHTTP2 = try context(.http2)
        clientTCP = try context(.tcp)
        self.roots = roots
    }

    /// The client context whose ALPN offers what the connection will carry.
    func client(carrying carried: Carried) -> NIOSSLContext {
        switch carried {
        case .http1: client
        case .http2: clientHTTP2
        case .tcp: clientTCP
        }
    }

    static func der(_ certificate: Certificate) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return serializer.serializedBytes
    }
}
