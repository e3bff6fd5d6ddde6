import Crypto
import CryptoExtras
import Foundation

/// Checks a token's signature against the keys of a set that may have signed it: swift-crypto
/// does the cryptography; this only pairs the JWS algorithm with a key and a digest.
enum JWTSignature {
    enum Outcome { case valid, invalid, noMatchingKey }

    static func check(_ token: JSONWebToken, against keys: JSONWebKeySet) -> Outcome {
        var tried = false
        for key in keys.keys {
            if let kid = token.keyID, let keyID = key.kid, !kid.isEmpty, !keyID.isEmpty, kid != keyID { continue }
            if let alg = key.alg, !alg.isEmpty, alg != token.algorithm { continue }
            guard let valid = verify(token, key.material) else { continue }
            tried = true
            if valid { return .valid }
        }
        return tried ? .invalid : .noMatchingKey
    }

    /// nil: this key cannot verify this algorithm.
    private static func verify(_ token: JSONWebToken, _ material: JSONWebKeySet.Material) -> Bool? {
        let input = token.signingInput, signature = token.signature
        switch (token.algorithm, material) {
        case ("RS256", .rsa(let key)): return key.isValidSignature(.init(rawRepresentation: signature), for: SHA256.hash(data: input), padding: .insecurePKCS1v1_5)
        case ("RS384", .rsa(let key)): return key.isValidSignature(.init(rawRepresentation: signature), for: SHA384.hash(data: input), padding: .insecurePKCS1v1_5)
        case ("RS512", .rsa(let key)): return key.isValidSignature(.init(rawRepresentation: signature), for: SHA512.hash(data: input), padding: .insecurePKCS1v1_5)
        case ("PS256", .rsa(let key)): return key.isValidSignature(.init(rawRepresentation: signature), for: SHA256.hash(data: input), padding: .PSS)
        case ("PS384", .rsa(let key)): return key.isValidSignature(.init(rawRepresentation: signature), for: SHA384.hash(data: input), padding: .PSS)
        case ("PS512", .rsa(let key)): return key.isValidSignature(.init(rawRepresentation: signature), for: SHA512.hash(data: input), padding: .PSS)
        case ("ES256", .p256(let key)):
            guard let raw = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return key.isValidSignature(raw, for: SHA256.hash(data: input))
        case ("ES384", .p384(let key)):
            guard let raw = try? P384.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return key.isValidSignature(raw, for: SHA384.hash(data: input))
        case ("ES512", .p521(let key)):
            guard let raw = try? P521.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return key.isValidSignature(raw, for: SHA512.hash(data: input))
        case ("EdDSA", .ed25519(let key)): return key.isValidSignature(signature, for: input)
        default: return nil
        }
    }
}
