import Foundation
import NIOSSL
import X509

/// A client certificate as a gateway's `X-Forwarded-Client-Cert` element describes it: Istio's
/// gateways ask Envoy for the subject, the certificate, its DNS and URI names, so the element is
/// `By=<own URI>;Hash=<SHA-256>;Cert="<PEM, URL-encoded>";Subject="<RFC 2253>";URI=<uri>;DNS=<dns>`
/// in Envoy's order, a field left out where the certificate has none (the subject is always there).
enum ClientCertificateDetails {
    /// `own`: this gateway's certificate's URI name (`By=`), if it has one.
    static func element(of certificate: NIOSSLCertificate, by own: String?) -> String? {
        guard let der = try? certificate.toDERBytes(), let parsed = try? Certificate(derEncoded: der) else { return nil }
        var fields: [String] = []
        if let own, !own.isEmpty { fields.append("By=" + own) }
        fields.append("Hash=" + PeerCertificate.sha256Hex(der))
        fields.append("Cert=\"" + urlEncodedPEM(der) + "\"")
        fields.append("Subject=\"" + parsed.subject.description + "\"")
        let names = (try? parsed.extensions.subjectAlternativeNames).map { Array($0) } ?? []
        for name in names { if case .uniformResourceIdentifier(let uri) = name { fields.append("URI=" + uri) } }
        for name in names { if case .dnsName(let dns) = name { fields.append("DNS=" + dns) } }
        return fields.joined(separator: ";")
    }

    /// The certificate as OpenSSL writes it in PEM (64 characters a line), each character Envoy
    /// encodes replaced: newline, space, `+`, `/` and `=`.
    static func urlEncodedPEM(_ der: [UInt8]) -> String {
        let base64 = Data(der).base64EncodedString()
        var pem = "-----BEGIN CERTIFICATE-----\n"
        var start = base64.startIndex
        while start < base64.endIndex {
            let end = base64.index(start, offsetBy: 64, limitedBy: base64.endIndex) ?? base64.endIndex
            pem += base64[start..<end] + "\n"
            start = end
        }
        pem += "-----END CERTIFICATE-----\n"
        var encoded = ""
        encoded.reserveCapacity(pem.utf8.count + pem.utf8.count / 8)
        for character in pem {
            switch character {
            case "\n": encoded += "%0A"
            case " ": encoded += "%20"
            case "+": encoded += "%2B"
            case "/": encoded += "%2F"
            case "=": encoded += "%3D"
            default: encoded.append(character)
            }
        }
        return encoded
    }
}
