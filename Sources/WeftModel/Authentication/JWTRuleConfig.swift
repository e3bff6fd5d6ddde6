/// One RequestAuthentication `jwtRule` as a proxy applies it: the issuer it accepts, the key set
/// it verifies with (inline, or what the control plane fetched from `jwksUri`), where the token is
/// carried and what of it goes upstream.
public struct JWTRuleConfig: Sendable, Hashable, Codable {
    /// A header that carries the token, after an optional prefix (`Authorization: Bearer …`).
    public struct HeaderLocation: Sendable, Hashable, Codable {
        public var name: String
        public var prefix: String
        public init(name: String, prefix: String = "") {
            self.name = name.lowercased()
            self.prefix = prefix
        }
    }

    /// A claim copied to a request header (`outputClaimToHeaders`).
    public struct ClaimHeader: Sendable, Hashable, Codable {
        public var header: String
        public var claim: String
        public init(header: String, claim: String) {
            self.header = header.lowercased()
            self.claim = claim
        }
    }

    public var issuer: String
    /// Accepted `aud` values; empty accepts any.
    public var audiences: [String]
    /// The JSON Web Key Set; empty when none could be had yet (every token of this issuer then fails).
    public var jwks: String
    /// Where `jwks` was fetched from, for display ("" when inline).
    public var jwksURI: String
    public var fromHeaders: [HeaderLocation]
    public var fromParams: [String]
    public var fromCookies: [String]
    public var forwardOriginalToken: Bool
    public var outputPayloadToHeader: String
    public var outputClaimToHeaders: [ClaimHeader]
    /// Claims whose space-separated string value counts as a list (`scope`, `permission` always do).
    public var spaceDelimitedClaims: [String]

    public init(issuer: String, audiences: [String] = [], jwks: String = "", jwksURI: String = "", fromHeaders: [HeaderLocation] = [],
                fromParams: [String] = [], fromCookies: [String] = [], forwardOriginalToken: Bool = false, outputPayloadToHeader: String = "",
                outputClaimToHeaders: [ClaimHeader] = [], spaceDelimitedClaims: [String] = []) {
        self.issuer = issuer
        self.audiences = audiences
        self.jwks = jwks
        self.jwksURI = jwksURI
        self.fromHeaders = fromHeaders
        self.fromParams = fromParams
        self.fromCookies = fromCookies
        self.forwardOriginalToken = forwardOriginalToken
        self.outputPayloadToHeader = outputPayloadToHeader.lowercased()
        self.outputClaimToHeaders = outputClaimToHeaders
        self.spaceDelimitedClaims = spaceDelimitedClaims
    }

    /// Where the token is looked for: the given locations, or Istio's default when none is given
    /// (`Authorization: Bearer <token>` and the `access_token` query parameter).
    public var headerLocations: [HeaderLocation] {
        usesDefaultLocations ? [HeaderLocation(name: "authorization", prefix: "Bearer ")] : fromHeaders
    }

    public var paramLocations: [String] { usesDefaultLocations ? ["access_token"] : fromParams }

    var usesDefaultLocations: Bool { fromHeaders.isEmpty && fromParams.isEmpty && fromCookies.isEmpty }
}
