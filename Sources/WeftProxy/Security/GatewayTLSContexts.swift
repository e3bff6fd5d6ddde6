import Foundation
import NIOConcurrencyHelpers
import NIOSSL
import WeftModel
import X509

/// The server TLS contexts of a gateway's servers: one per distinct server TLS (a Secret that
/// changes is a new value, so new connections get the new certificate while those open keep
/// theirs). A server whose material cannot be used keeps serving the last context that worked
/// for the same listener and names, as Envoy keeps a listener's last good secret; with none,
/// its connections are refused.
final class GatewayTLSContexts: Sendable {
    /// Why a server cannot terminate TLS.
    struct Unusable: Error, CustomStringConvertible { var description: String }

    /// ALPN a gateway offers a client: HTTP/2 first, as Envoy's HTTPS listeners do.
    static let applicationProtocols = ["h2", "http/1.1"]
    /// Entries kept before the cache starts over (each config change of a Secret adds one).
    private static let limit = 256

    private let made = NIOLockedValueBox<[GatewayServerTLS: Result<NIOSSLContext, Unusable>]>([:])
    private let lastGood = NIOLockedValueBox<[String: NIOSSLContext]>([:])

    /// The context for `server` on `listener`: made once; `mesh` serves ISTIO_MUTUAL. A material
    /// that fails is counted once, as Envoy counts a refused secret update.
    func context(for server: GatewayServerTLS, listener: String, mesh: MeshTLSContexts?, stats: ProxyStats) -> Result<NIOSSLContext, Unusable> {
        if server.mode == .istioMutual {
            guard let mesh else { return .failure(Unusable(description: "ISTIO_MUTUAL: the gateway has no workload certificate yet")) }
            return .success(mesh.server)
        }
        let key = listener + "|" + server.serverNames.joined(separator: ",")
        let result = made.withLockedValue { made -> Result<NIOSSLContext, Unusable> in
            if let found = made[server] { return found }
            if made.count >= Self.limit { made.removeAll() }
            let result = Result { try Self.make(server) }.mapError { $0 as? Unusable ?? Unusable(description: "\($0)") }
            made[server] = result
            if case .failure = result { stats.increment("listener.\(listener).server_ssl_socket_factory.ssl_context_update_error") }
            return result
        }
        switch result {
        case .success(let context):
            lastGood.withLockedValue { $0[key] = context }
            return result
        case .failure:
            return lastGood.withLockedValue { $0[key] }.map { .success($0) } ?? result
        }
    }

    /// Builds the server context: the certificate and key (which must belong together), the CAs
    /// a client certificate must chain to under MUTUAL, Istio's TLS versions and the ciphers.
    static func make(_ server: GatewayServerTLS) throws -> NIOSSLContext {
        if let reason = server.credentialError { throw Unusable(description: reason) }
        let chainPEM = try pem(inline: server.certificateChain, file: server.certificateChainFile, what: "certificate")
        let keyPEM = try pem(inline: server.privateKey, file: server.privateKeyFile, what: "private key")
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(Array(chainPEM.utf8))
            key = try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem)
        } catch {
            throw Unusable(description: "the certificate or key is not PEM (\(error))")
        }
        guard let leaf = chain.first else { throw Unusable(description: "no certificate in the chain") }
        if let certificate = try? Certificate(derEncoded: leaf.toDERBytes()), let privateKey = try? Certificate.PrivateKey(pemEncoded: keyPEM),
           certificate.publicKey != privateKey.publicKey {
            throw Unusable(description: "the private key does not match the certificate")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.applicationProtocols = applicationProtocols
        configuration.minimumTLSVersion = version(server.minimumVersion) ?? .tlsv12
        configuration.maximumTLSVersion = version(server.maximumVersion) ?? .tlsv13
        if !server.cipherSuites.isEmpty { configuration.cipherSuites = server.cipherSuites.joined(separator: ":") }
        if server.mode == .mutual || server.mode == .optionalMutual {
            let caPEM = try pem(inline: server.caCertificates, file: server.caCertificatesFile, what: "CA certificates")
            do {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(caPEM.utf8)))
            } catch {
                throw Unusable(description: "the CA certificates are not PEM (\(error))")
            }
            configuration.certificateVerification = server.mode == .mutual ? .noHostnameVerification : .optionalVerification
        }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw Unusable(description: "cannot make the TLS context: \(error)")
        }
    }

    private static func pem(inline: String?, file: String?, what: String) throws -> String {
        if let inline { return inline }
        guard let file else { throw Unusable(description: "no \(what)") }
        guard let data = FileManager.default.contents(atPath: file) else { throw Unusable(description: "cannot read the \(what) file \(file)") }
        return String(decoding: data, as: UTF8.self)
    }

    private static func version(_ name: String?) -> TLSVersion? {
        switch name {
        case "TLSV1_0": .tlsv1
        case "TLSV1_1": .tlsv11
        case "TLSV1_2": .tlsv12
        case "TLSV1_3": .tlsv13
        default: nil
        }
    }
}
