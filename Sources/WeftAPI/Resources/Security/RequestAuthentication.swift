/// Istio's RequestAuthentication: which JWTs a workload accepts.
public typealias RequestAuthentication = IstioObject<RequestAuthenticationSpec>

/// `security.istio.io` RequestAuthentication spec (request_authentication.proto).
public struct RequestAuthenticationSpec: IstioSpec {
    public static let resourceType = ResourceType(group: "security.istio.io", kind: "RequestAuthentication", versions: ["v1", "v1beta1"], plural: "requestauthentications", shortNames: ["ra"])
    public var selector: WorkloadSelector?
    public var targetRef: PolicyTargetReference?
    public var targetRefs: [PolicyTargetReference]?
    public var jwtRules: [JWTRule]?
    public init() {}
}

/// One accepted issuer, where its keys are and where the token is carried.
public struct JWTRule: Codable, Sendable, Hashable {
    /// A header carrying the token, with an optional prefix such as "Bearer ".
    public struct JWTHeader: Codable, Sendable, Hashable {
        public var name: String?
        public var prefix: String?
    }
    /// A claim copied to a request header.
    public struct ClaimToHeader: Codable, Sendable, Hashable {
        public var header: String?
        public var claim: String?
    }
    public var issuer: String?
    public var audiences: [String]?
    public var jwksUri: String?
    public var jwks: String?
    public var fromHeaders: [JWTHeader]?
    public var fromParams: [String]?
    public var fromCookies: [String]?
    public var outputPayloadToHeader: String?
    public var forwardOriginalToken: Bool?
    public var outputClaimToHeaders: [ClaimToHeader]?
    public var timeout: IstioDuration?
    /// Claims besides `scope` and `permission` whose space-separated string is read as a list.
    public var spaceDelimitedClaims: [String]?
}
