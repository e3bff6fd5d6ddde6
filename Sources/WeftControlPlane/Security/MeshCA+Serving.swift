import Crypto
import Foundation
import SwiftASN1
import X509

/// The control plane's own certificate, for its API and discovery listeners when they listen
/// beyond loopback (Istio's istiod serves discovery with a certificate from its own CA, as
/// `istiod.istio-system.svc`). Proxies and the CLI check it against the mesh roots.
extension MeshCA {
    /// A certificate chain and key (PEM) for the given DNS names and IP addresses, valid for `validity`.
    public func servingCertificate(dnsNames: [String], ipAddresses: [String], validity: Duration = .seconds(365 * 24 * 3600),
                                   now: Date = Date()) throws -> (chainPEM: String, keyPEM: String) {
        let key = P256.Signing.PrivateKey()
        var names: [GeneralName] = dnsNames.map { .dnsName($0) }
        for address in ipAddresses {
            if let bytes = Self.ipv4Bytes(address) { names.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(bytes)))) }
        }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
            try ExtendedKeyUsage([.serverAuth])
            try AuthorityKeyIdentifier(keyIdentifier: signingCertificate.extensions.subjectKeyIdentifier?.keyIdentifier)
            SubjectAlternativeNames(names)
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: now.addingTimeInterval(-60), notValidAfter: now.addingTimeInterval(Double(validity.components.seconds)),
            issuer: signingCertificate.subject, subject: try DistinguishedName { CommonName(dnsNames.first ?? "istiod") },
            signatureAlgorithm: Self.signatureAlgorithm(for: signingKey), extensions: extensions, issuerPrivateKey: signingKey)
        let chain = try ([certificate] + self.chain).map { try $0.serializeAsPEM().pemString }.joined(separator: "\n") + "\n"
        return (chain, key.pemRepresentation)
    }

    private static func ipv4Bytes(_ address: String) -> [UInt8]? {
        let parts = address.split(separator: ".").compactMap { UInt8($0) }
        return parts.count == 4 && address.split(separator: ".").count == 4 ? parts : nil
    }
}

/// Whether a listen address stays on this host (loopback), where plaintext is enough.
public enum ListenAddress {
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
