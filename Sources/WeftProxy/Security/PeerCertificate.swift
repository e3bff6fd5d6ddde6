import Crypto
import NIOSSL
import X509

/// What a mutual TLS peer proved: its SPIFFE identity (the certificate's URI SAN) and the
/// certificate's SHA-256, the two things Istio's `X-Forwarded-Client-Cert` carries.
public struct PeerCertificate: Sendable, Hashable {
    /// `spiffe://cluster.local/ns/foo/sa/sleep`, or "" when the certificate names none.
    public var identity: String
    /// Lower-case hex SHA-256 of the DER certificate.
    public var hash: String

    public init(identity: String, hash: String) {
        self.identity = identity
        self.hash = hash
    }

    /// Reads a verified peer certificate; nil when it cannot be parsed.
    init?(_ certificate: NIOSSLCertificate) {
        guard let der = try? certificate.toDERBytes(), let parsed = try? Certificate(derEncoded: der) else { return nil }
        identity = Self.uris(of: parsed).first ?? ""
        hash = Self.sha256Hex(der)
    }

    /// Lower-case hex SHA-256 of `der` (Envoy's `Hash=`).
    static func sha256Hex(_ der: [UInt8]) -> String {
        SHA256.hash(data: der).map { byte in let hex = String(byte, radix: 16); return byte < 16 ? "0" + hex : hex }.joined()
    }

    /// The URI SANs of a certificate.
    static func uris(of certificate: Certificate) -> [String] {
        guard let names = try? certificate.extensions.subjectAlternativeNames else { return [] }
        return names.compactMap { name in
            if case .uniformResourceIdentifier(let uri) = name { return uri }
            return nil
        }
    }

    /// The URI and DNS SANs of a certificate (what a DestinationRule's `subjectAltNames` is checked against).
    static func names(of certificate: NIOSSLCertificate) -> [String] {
        guard let der = try? certificate.toDERBytes(), let parsed = try? Certificate(derEncoded: der),
              let names = try? parsed.extensions.subjectAlternativeNames else { return [] }
        return names.compactMap { name in
            switch name {
            case .uniformResourceIdentifier(let uri): return uri
            case .dnsName(let dns): return dns
            default: return nil
            }
        }
    }

    /// Istio's `X-Forwarded-Client-Cert` for this peer, as the server sidecar `own` sets it.
    func forwardedClientCert(by own: String) -> String {
        "By=\(own);Hash=\(hash);Subject=\"\";URI=\(identity)"
    }
}
