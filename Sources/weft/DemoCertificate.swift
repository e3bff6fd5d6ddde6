import Crypto
import Foundation
import SwiftASN1
import X509

/// The demo's HTTPS credential, made at each start: a CA of its own (printed, for `curl --cacert`)
/// and a certificate it signs for the names the gateway is reached by (`localhost`, 127.0.0.1).
struct DemoCertificate {
    let caPEM: String
    let certificatePEM: String
    let keyPEM: String

    init(names: [String], addresses: [String], now: Date = Date()) throws {
        let caKey = P256.Signing.PrivateKey()
        let caName = try DistinguishedName { OrganizationName("Weft demo"); CommonName("Weft demo CA") }
        let ca = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(caKey.publicKey),
            notValidBefore: now.addingTimeInterval(-60), notValidAfter: now.addingTimeInterval(30 * 24 * 3600),
            issuer: caName, subject: caName, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: .init(caKey))
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName { CommonName(names.first ?? "localhost") }
        var sans: [GeneralName] = names.map { .dnsName($0) }
        for address in addresses {
            let bytes = address.split(separator: ".").compactMap { UInt8($0) }
            if bytes.count == 4 { sans.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(bytes)))) }
        }
        let names = SubjectAlternativeNames(sans)
        let leaf = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-60), notValidAfter: now.addingTimeInterval(30 * 24 * 3600),
            issuer: caName, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                names
            },
            issuerPrivateKey: .init(caKey))
        caPEM = try ca.serializeAsPEM().pemString + "\n"
        certificatePEM = try leaf.serializeAsPEM().pemString + "\n"
        keyPEM = key.pemRepresentation + "\n"
    }

    /// As a `kubernetes.io/tls` Secret of istio-system, for a Gateway's `credentialName`.
    func secret(named secretName: String) -> String {
        """
        apiVersion: v1
        kind: Secret
        metadata: {name: \(secretName), namespace: istio-system}
        type: kubernetes.io/tls
        data:
          tls.crt: \(Data(certificatePEM.utf8).base64EncodedString())
          tls.key: \(Data(keyPEM.utf8).base64EncodedString())
        """
    }
}
