import NIOSSL
import SwiftASN1
import X509

/// The TLS contexts made from one workload certificate, for Istio mutual TLS between sidecars:
/// the server side (inbound: the peer must present a certificate chained to the mesh roots) and
/// the client side (to other sidecars: the same roots, the peer's identity checked after the
/// handshake). Rebuilt whole on every rotation, so a connection uses one certificate throughout.
public struct MeshTLSContexts: Sendable {
    /// Istio's ALPN between sidecars: what a client sidecar offers for HTTP/1.1.
    static let clientProtocols = ["istio-peer-exchange", "istio-http/1.1"]
    /// What an inbound port accepts (Istio's inbound chains match these, and `istio` of older proxies).
    static let serverProtocols = ["istio-http/1.1", "istio-peer-exchange", "istio-http/1.0", "istio", "http/1.1"]

    let server: NIOSSLContext
    let client: NIOSSLContext
    /// The mesh roots the contexts trust (the published bundle: more than one during a root change).
    let roots: [NIOSSLCertificate]

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
        client.applicationProtocols = Self.clientProtocols
        self.server = try NIOSSLContext(configuration: server)
        self.client = try NIOSSLContext(configuration: client)
        self.roots = roots
    }

    static func der(_ certificate: Certificate) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return serializer.serializedBytes
    }
}
