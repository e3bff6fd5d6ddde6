import Foundation
import WeftModel

/// A compact JWS (`header.payload.signature`) split and decoded, not yet verified. Parsing
/// follows Envoy's order, so a malformed token is refused with the reason Envoy gives.
public struct JSONWebToken: Sendable {
    /// The JWS algorithms verified here.
    static let verifiable: Set<String> = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
    /// Known algorithms only a shared secret (`oct` key) verifies: no JWKS here holds one.
    static let symmetric: Set<String> = ["HS256", "HS384", "HS512"]

    public let algorithm: String
    public let keyID: String?
    public let claims: [String: ClaimValue]
    /// The payload as sent (base64url), what `outputPayloadToHeader` forwards.
    public let payloadSegment: Substring
    /// `header.payload`, what the signature covers.
    let signingInput: Data
    let signature: Data

    public init(compact token: Substring) throws(JWTFailure) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw .badFormat }
        guard let headerBytes = Base64URL.decode(parts[0]) else { throw .headerBadBase64 }
        guard let header = try? JSONDecoder().decode([String: ClaimValue].self, from: headerBytes) else { throw .headerBadJSON }
        guard case .string(let algorithm)? = header["alg"] else { throw .headerBadAlg }
        guard Self.verifiable.contains(algorithm) || Self.symmetric.contains(algorithm) else { throw .algNotImplemented }
        switch header["kid"] {
        case nil: keyID = nil
        case .string(let kid)?: keyID = kid
        default: throw .headerBadKid
        }
        guard let payloadBytes = Base64URL.decode(parts[1]) else { throw .payloadBadBase64 }
        guard let claims = try? JSONDecoder().decode([String: ClaimValue].self, from: payloadBytes) else { throw .payloadBadJSON }
        guard let signature = Base64URL.decode(parts[2]) else { throw .signatureBadBase64 }
        self.algorithm = algorithm
        self.claims = claims
        self.payloadSegment = parts[1]
        self.signingInput = Data(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        self.signature = signature
    }

    public var issuer: String? { if case .string(let text)? = claims["iss"] { return text } else { return nil } }
    public var subject: String? { if case .string(let text)? = claims["sub"] { return text } else { return nil } }
    public var presenter: String? { if case .string(let text)? = claims["azp"] { return text } else { return nil } }

    /// `aud`: one string or a list of them.
    public var audiences: [String] {
        switch claims["aud"] {
        case .string(let text)?: return [text]
        case .array(let elements)?: return elements.compactMap { if case .string(let text) = $0 { return text } else { return nil } }
        default: return []
        }
    }

    /// A NumericDate claim (`exp`, `nbf`), in seconds since 1970.
    public func time(_ claim: String) -> Double? {
        if case .number(let text)? = claims[claim] { return Double(text) }
        return nil
    }
}
