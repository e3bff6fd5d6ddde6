import Crypto
import CryptoExtras
import Foundation

/// A JSON Web Key Set (RFC 7517) as verification uses it: each usable public key parsed once.
/// Keys of a kind Weft does not verify with (`oct`, private-only, RSA under 2048 bits) are left
/// out and named in `skipped`; a set with no usable key is refused whole.
public struct JSONWebKeySet: Sendable {
    /// One public key and what it may verify.
    public struct Key: Sendable {
        public var kid: String?
        public var alg: String?
        public var material: Material
    }

    /// The key itself.
    public enum Material: Sendable {
        case rsa(_RSA.Signing.PublicKey)
        case p256(P256.Signing.PublicKey)
        case p384(P384.Signing.PublicKey)
        case p521(P521.Signing.PublicKey)
        case ed25519(Curve25519.Signing.PublicKey)
    }

    public let keys: [Key]
    /// Why each left-out key was left out.
    public let skipped: [String]

    /// The wire form of a key set, for decoding only.
    private struct Document: Decodable {
        struct JWK: Decodable {
            var kty: String?
            var kid: String?
            var alg: String?
            var use: String?
            var n: String?
            var e: String?
            var crv: String?
            var x: String?
            var y: String?
        }
        var keys: [JWK]
    }

    /// Parses `json`; throws a message naming what is wrong (not JSON, no keys, no usable key).
    public init(json: String) throws(JWKSError) {
        let document: Document
        do { document = try JSONDecoder().decode(Document.self, from: Data(json.utf8)) } catch {
            throw JWKSError("jwks is not a JSON object with a \"keys\" list")
        }
        var keys: [Key] = []
        var skipped: [String] = []
        for (index, jwk) in document.keys.enumerated() {
            let name = jwk.kid.map { "key \($0)" } ?? "key \(index)"
            if jwk.use != nil && jwk.use != "sig" { skipped.append("\(name): use \(jwk.use ?? "") is not sig"); continue }
            switch Self.material(jwk) {
            case .success(let material): keys.append(Key(kid: jwk.kid, alg: jwk.alg, material: material))
            case .failure(let reason): skipped.append("\(name): \(reason.message)")
            }
        }
        guard !keys.isEmpty else {
            throw JWKSError(document.keys.isEmpty ? "jwks has no keys" : "jwks has no usable key (\(skipped.joined(separator: "; ")))")
        }
        self.keys = keys
        self.skipped = skipped
    }

    private static func material(_ jwk: Document.JWK) -> Result<Material, JWKSError> {
        func bytes(_ field: String?, _ name: String) -> Result<Data, JWKSError> {
            guard let field, let data = Base64URL.decode(Substring(field)), !data.isEmpty else { return .failure(JWKSError("\(name) is missing or not base64url")) }
            return .success(data)
        }
        do throws(JWKSError) {
            switch jwk.kty {
            case "RSA":
                let n = try bytes(jwk.n, "n").get(), e = try bytes(jwk.e, "e").get()
                do { return .success(.rsa(try _RSA.Signing.PublicKey(n: n, e: e))) } catch {
                    return .failure(JWKSError("RSA key refused (under 2048 bits or malformed)"))
                }
            case "EC":
                let x = try bytes(jwk.x, "x").get(), y = try bytes(jwk.y, "y").get()
                let raw = x + y
                do {
                    switch jwk.crv {
                    case "P-256": return .success(.p256(try P256.Signing.PublicKey(rawRepresentation: raw)))
                    case "P-384": return .success(.p384(try P384.Signing.PublicKey(rawRepresentation: raw)))
                    case "P-521": return .success(.p521(try P521.Signing.PublicKey(rawRepresentation: raw)))
                    default: return .failure(JWKSError("EC curve \(jwk.crv ?? "(none)") is not supported"))
                    }
                } catch { return .failure(JWKSError("EC point is not on curve \(jwk.crv ?? "")")) }
            case "OKP":
                guard jwk.crv == "Ed25519" else { return .failure(JWKSError("OKP curve \(jwk.crv ?? "(none)") is not supported")) }
                let x = try bytes(jwk.x, "x").get()
                do { return .success(.ed25519(try Curve25519.Signing.PublicKey(rawRepresentation: x))) } catch {
                    return .failure(JWKSError("Ed25519 key is not 32 bytes"))
                }
            default:
                return .failure(JWKSError("kty \(jwk.kty ?? "(none)") is not supported"))
            }
        } catch {
            return .failure(error)
        }
    }
}

/// Why a key set (or one key of it) cannot be used.
public struct JWKSError: Error, Sendable, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
}
