import Crypto
import CryptoExtras
import Foundation

/// Mints tokens and key sets for the verification tests (signing is the test's side; the code
/// under test only verifies).
enum TestTokens {
    static func base64url(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func parts(_ alg: String, kid: String?, payload: [String: Any]) throws -> String {
        var header: [String: Any] = ["alg": alg, "typ": "JWT"]
        if let kid { header["kid"] = kid }
        let h = try JSONSerialization.data(withJSONObject: header, options: .sortedKeys)
        let p = try JSONSerialization.data(withJSONObject: payload, options: .sortedKeys)
        return base64url(h) + "." + base64url(p)
    }

    static func rs256(_ key: _RSA.Signing.PrivateKey, kid: String?, payload: [String: Any]) throws -> String {
        let input = try parts("RS256", kid: kid, payload: payload)
        let signature = try key.signature(for: SHA256.hash(data: Data(input.utf8)), padding: .insecurePKCS1v1_5)
        return input + "." + base64url(signature.rawRepresentation)
    }

    static func ps256(_ key: _RSA.Signing.PrivateKey, kid: String?, payload: [String: Any]) throws -> String {
        let input = try parts("PS256", kid: kid, payload: payload)
        let signature = try key.signature(for: SHA256.hash(data: Data(input.utf8)), padding: .PSS)
        return input + "." + base64url(signature.rawRepresentation)
    }

    static func es256(_ key: P256.Signing.PrivateKey, kid: String?, payload: [String: Any]) throws -> String {
        let input = try parts("ES256", kid: kid, payload: payload)
        return input + "." + base64url(try key.signature(for: Data(input.utf8)).rawRepresentation)
    }

    static func es384(_ key: P384.Signing.PrivateKey, kid: String?, payload: [String: Any]) throws -> String {
        let input = try parts("ES384", kid: kid, payload: payload)
        return input + "." + base64url(try key.signature(for: Data(input.utf8)).rawRepresentation)
    }

    static func eddsa(_ key: Curve25519.Signing.PrivateKey, kid: String?, payload: [String: Any]) throws -> String {
        let input = try parts("EdDSA", kid: kid, payload: payload)
        return input + "." + base64url(try key.signature(for: Data(input.utf8)))
    }

    static func jwk(_ key: _RSA.Signing.PublicKey, kid: String) -> String {
        let (n, e) = rsaNumbers(key)
        return #"{"kty":"RSA","kid":"\#(kid)","n":"\#(base64url(n))","e":"\#(base64url(e))"}"#
    }

    static func jwk(_ key: P256.Signing.PublicKey, kid: String) -> String {
        let raw = key.rawRepresentation
        return #"{"kty":"EC","crv":"P-256","kid":"\#(kid)","x":"\#(base64url(raw.prefix(32)))","y":"\#(base64url(raw.suffix(32)))"}"#
    }

    static func jwk(_ key: P384.Signing.PublicKey, kid: String) -> String {
        let raw = key.rawRepresentation
        return #"{"kty":"EC","crv":"P-384","kid":"\#(kid)","x":"\#(base64url(raw.prefix(48)))","y":"\#(base64url(raw.suffix(48)))"}"#
    }

    static func jwk(_ key: Curve25519.Signing.PublicKey, kid: String) -> String {
        #"{"kty":"OKP","crv":"Ed25519","kid":"\#(kid)","x":"\#(base64url(key.rawRepresentation))"}"#
    }

    static func jwks(_ keys: [String]) -> String { #"{"keys":[\#(keys.joined(separator: ","))]}"# }

    /// n and e from the PKCS#1 DER (SEQUENCE { INTEGER n, INTEGER e }).
    static func rsaNumbers(_ key: _RSA.Signing.PublicKey) -> (Data, Data) {
        var bytes = [UInt8](key.pkcs1DERRepresentation)[...]
        func length() -> Int {
            let first = Int(bytes.removeFirst())
            guard first & 0x80 != 0 else { return first }
            var value = 0
            for _ in 0..<(first & 0x7f) { value = value << 8 | Int(bytes.removeFirst()) }
            return value
        }
        func integer() -> Data {
            _ = bytes.removeFirst()  // INTEGER tag
            let count = length()
            var value = Data(bytes.prefix(count))
            bytes = bytes.dropFirst(count)
            while value.first == 0 { value = value.dropFirst() }
            return Data(value)
        }
        _ = bytes.removeFirst()  // SEQUENCE tag
        _ = length()
        let n = integer()
        return (n, integer())
    }
}
