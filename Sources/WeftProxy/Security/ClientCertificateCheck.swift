import Crypto
import Foundation
import NIOSSL
import SwiftASN1
import WeftModel
import X509

/// What a gateway server asks of a client certificate beyond its CA's signature (Envoy's
/// `match_typed_subject_alt_names`, `verify_certificate_spki`, `verify_certificate_hash`): each
/// list, when given, must hold one of the certificate's values. Returns the stat of the first
/// check that fails, nil when all hold.
enum ClientCertificateCheck {
    static func failure(_ certificate: NIOSSLCertificate?, server: GatewayServerTLS) -> String? {
        guard server.mode == .mutual || server.mode == .optionalMutual else { return nil }
        let checks = !server.subjectAltNames.isEmpty || !server.verifyCertificateSpki.isEmpty || !server.verifyCertificateHash.isEmpty
        guard checks else { return nil }
        guard let certificate, let der = try? certificate.toDERBytes(), let parsed = try? Certificate(derEncoded: der) else {
            return server.mode == .mutual ? "ssl.fail_verify_no_cert" : nil
        }
        if !server.subjectAltNames.isEmpty {
            let names = Set(PeerCertificate.names(of: certificate))
            if !server.subjectAltNames.contains(where: names.contains) { return "ssl.fail_verify_san" }
        }
        if !server.verifyCertificateSpki.isEmpty {
            var serializer = DER.Serializer()
            guard (try? serializer.serialize(parsed.publicKey)) != nil else { return "ssl.fail_verify_cert_hash" }
            let spki = Data(SHA256.hash(data: serializer.serializedBytes)).base64EncodedString()
            if !server.verifyCertificateSpki.contains(spki) { return "ssl.fail_verify_cert_hash" }
        }
        if !server.verifyCertificateHash.isEmpty {
            let hash = SHA256.hash(data: der).map { String(format: "%02x", $0) }.joined()
            let wanted = server.verifyCertificateHash.map { $0.replacingOccurrences(of: ":", with: "").lowercased() }
            if !wanted.contains(hash) { return "ssl.fail_verify_cert_hash" }
        }
        return nil
    }
}
