/// Why a request's JWT was refused: each answers 401 with Envoy's jwt_authn message as the body,
/// and is counted under its `counter` name (`jwt_authn.denied.<counter>`).
public enum JWTFailure: String, Error, Sendable, CaseIterable {
    case badFormat = "jwt_bad_format"
    case headerBadBase64 = "jwt_header_bad_base64"
    case headerBadJSON = "jwt_header_bad_json"
    case headerBadAlg = "jwt_header_bad_alg"
    case algNotImplemented = "jwt_header_not_implemented_alg"
    case headerBadKid = "jwt_header_bad_kid"
    case payloadBadBase64 = "jwt_payload_bad_base64"
    case payloadBadJSON = "jwt_payload_bad_json"
    case signatureBadBase64 = "jwt_signature_bad_base64"
    case unknownIssuer = "jwt_unknown_issuer"
    case audienceNotAllowed = "jwt_audience_not_allowed"
    case expired = "jwt_expired"
    case notYetValid = "jwt_not_yet_valid"
    case noMatchingKey = "jwks_kid_alg_mismatch"
    case verificationFailed = "jwt_verification_fails"
    case multipleTokens = "jwt_multiple_tokens"

    /// The counter suffix.
    public var counter: String { rawValue }

    /// The response body, word for word Envoy's (`jwt_verify_lib` status strings).
    public var message: String {
        switch self {
        case .badFormat: return "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections"
        case .headerBadBase64: return "Jwt header is an invalid Base64url encoded"
        case .headerBadJSON: return "Jwt header is an invalid JSON"
        case .headerBadAlg: return "Jwt header [alg] field is required and must be a string"
        case .algNotImplemented: return "Jwt header [alg] is not supported"
        case .headerBadKid: return "Jwt header [kid] field is not a string"
        case .payloadBadBase64: return "Jwt payload is an invalid Base64url encoded"
        case .payloadBadJSON: return "Jwt payload is an invalid JSON"
        case .signatureBadBase64: return "Jwt signature is an invalid Base64url encoded"
        case .unknownIssuer: return "Jwt issuer is not configured"
        case .audienceNotAllowed: return "Audiences in Jwt are not allowed"
        case .expired: return "Jwt is expired"
        case .notYetValid: return "Jwt not yet valid"
        case .noMatchingKey: return "Jwks doesn't have key to match kid or alg from Jwt"
        case .verificationFailed: return "Jwt verification fails"
        case .multipleTokens: return "Jwt has multiple tokens"  // more than one location carried one
        }
    }
}
