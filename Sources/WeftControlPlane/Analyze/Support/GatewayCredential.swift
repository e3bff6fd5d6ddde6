import Foundation
import WeftAPI

/// Whether a Secret can serve as a gateway credential: `tls.crt`/`tls.key` (or `cert`/`key`),
/// the certificate a PEM X.509 certificate that has not expired.
enum GatewayCredential {
    static func isUsable(_ secret: Secret, now: Double) -> Bool {
        guard let pem = CredentialSecret(secret).certificate, let notAfter = X509Validity.notAfter(pem: pem) else { return false }
        return notAfter > now
    }
}

/// Reads the `notAfter` time (seconds since 1970) of the first certificate in a PEM text, by
/// walking the DER just far enough: Certificate → TBSCertificate → Validity.
enum X509Validity {
    static func notAfter(pem: String) -> Double? {
        guard let begin = pem.range(of: "-----BEGIN CERTIFICATE-----"),
              let end = pem.range(of: "-----END CERTIFICATE-----", range: begin.upperBound..<pem.endIndex) else { return nil }
        let body = pem[begin.upperBound..<end.lowerBound].filter { !$0.isWhitespace }
        guard let der = Base64.decode(String(body)) else { return nil }
        var reader = DERReader(der)
        guard let certificate = reader.next(), certificate.tag == 0x30 else { return nil }
        var inner = DERReader(certificate.content)
        guard let tbs = inner.next(), tbs.tag == 0x30 else { return nil }
        var fields = DERReader(tbs.content)
        var element = fields.next()
        if element?.tag == 0xA0 { element = fields.next() }          // version
        guard element?.tag == 0x02 else { return nil }                // serialNumber
        guard fields.next()?.tag == 0x30, fields.next()?.tag == 0x30 else { return nil } // signature, issuer
        guard let validity = fields.next(), validity.tag == 0x30 else { return nil }
        var times = DERReader(validity.content)
        _ = times.next()
        guard let after = times.next() else { return nil }
        return time(after)
    }

    private static func time(_ element: DERReader.Element) -> Double? {
        let text = String(decoding: element.content, as: UTF8.self)
        let digits = text.hasSuffix("Z") ? String(text.dropLast()) : text
        var components = DateComponents()
        components.timeZone = TimeZone(identifier: "UTC")
        let chars = Array(digits)
        func number(_ start: Int, _ length: Int) -> Int? {
            guard start + length <= chars.count else { return nil }
            return Int(String(chars[start..<start + length]))
        }
        let offset: Int
        if element.tag == 0x17 {          // UTCTime: YYMMDDHHMMSS
            guard let year = number(0, 2) else { return nil }
            components.year = year < 50 ? 2000 + year : 1900 + year
            offset = 2
        } else if element.tag == 0x18 {   // GeneralizedTime: YYYYMMDDHHMMSS
            components.year = number(0, 4)
            offset = 4
        } else {
            return nil
        }
        components.month = number(offset, 2)
        components.day = number(offset + 2, 2)
        components.hour = number(offset + 4, 2)
        components.minute = number(offset + 6, 2)
        components.second = number(offset + 8, 2)
        guard let date = Calendar(identifier: .gregorian).date(from: components) else { return nil }
        return date.timeIntervalSince1970
    }
}

/// A minimal DER tag-length-value reader; malformed input ends the walk (nil), never traps.
struct DERReader {
    /// One TLV element.
    struct Element {
        var tag: UInt8
        var content: [UInt8]
    }

    private let bytes: [UInt8]
    private var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func next() -> Element? {
        guard index + 2 <= bytes.count else { return nil }
        let tag = bytes[index]
        var length = Int(bytes[index + 1])
        index += 2
        if length & 0x80 != 0 {
            let count = length & 0x7F
            guard count > 0, count <= 4, index + count <= bytes.count else { return nil }
            length = 0
            for _ in 0..<count { length = length << 8 | Int(bytes[index]); index += 1 }
        }
        guard length >= 0, index + length <= bytes.count else { return nil }
        let content = Array(bytes[index..<index + length])
        index += length
        return Element(tag: tag, content: content)
    }
}
