/// One AuthorizationPolicy as a proxy enforces it: Istio's rules with the API's optional lists
/// made plain (an empty list is "not set"), already scoped to the proxy by the control plane.
public struct AuthorizationPolicyConfig: Sendable, Hashable, Codable {
    /// What a matching request gets; CUSTOM: the external authorizer's answer (`provider`), asked before DENY and ALLOW.
    public enum Action: String, Sendable, Hashable, Codable { case allow = "ALLOW", deny = "DENY", audit = "AUDIT", custom = "CUSTOM" }

    /// `namespace/name`, the name logs and `weft x authz` show.
    public var name: String
    public var action: Action
    /// `istio.io/dry-run: "true"`: evaluated, logged and counted, never enforced.
    public var dryRun: Bool
    /// A request matches the policy when any rule matches; no rules match nothing.
    public var rules: [AuthorizationRule]
    /// CUSTOM: the MeshConfig extension provider that decides.
    public var provider: ExternalAuthorizer?

    public init(name: String, action: Action, dryRun: Bool = false, rules: [AuthorizationRule], provider: ExternalAuthorizer? = nil) {
        self.name = name
        self.action = action
        self.dryRun = dryRun
        self.rules = rules
        self.provider = provider
    }
}

/// An external authorization service (MeshConfig `envoyExtAuthzHttp` or `envoyExtAuthzGrpc`), asked
/// about each request a CUSTOM policy matches, as Envoy's ext_authz filter asks it: over HTTP, the
/// request's method and path (under `pathPrefix`) with the headers it lets through, a 2xx answer
/// letting the request on (with `headersToUpstreamOnAllow` copied from it) and any other the
/// client's answer; over gRPC, Envoy's `Authorization/Check` with the request's attributes.
public struct ExternalAuthorizer: Sendable, Hashable, Codable {
    /// How the authorizer is asked.
    public enum API: String, Sendable, Hashable, Codable {
        /// `envoyExtAuthzHttp`: an HTTP/1.1 request a check.
        case http
        /// `envoyExtAuthzGrpc`: Envoy's `envoy.service.auth.v3.Authorization/Check`.
        case grpc
    }

    /// The provider's name, as the policy names it.
    public var name: String
    /// `service:port` (a mesh service is reached at its endpoints).
    public var address: String
    public var api: API = .http
    public var pathPrefix: String = ""
    /// Request headers sent in the check besides Host, Method, Path, Content-Length and Authorization (lowercased).
    public var includeRequestHeaders: [String] = []
    /// Fixed headers added to the check (`includeAdditionalHeadersInCheck`), over the request's of the same name.
    public var additionalHeaders: [Header] = []
    /// Headers of the authorizer's answer copied to the request upstream on allow, and to the client's answer on deny.
    public var headersToUpstreamOnAllow: [String] = []
    public var headersToDownstreamOnAllow: [String] = []
    public var headersToDownstreamOnDeny: [String] = []
    /// The client's status when the authorizer cannot be asked (Istio's default 403).
    public var statusOnError = 403
    /// Let the request on when the authorizer cannot be asked.
    public var failOpen = false
    public var timeoutMs = 600_000
    /// Why the provider cannot be used (not found, not an HTTP provider): matching requests are denied, as Istio fails closed.
    public var unusable: String?
    /// `includeRequestBodyInCheck` (HTTP) or `includeRequestBody` (gRPC): the check waits for the body and carries it.
    public var requestBody: RequestBody?

    /// How much of a request's body a check carries (Envoy's ext_authz `with_request_body`).
    public struct RequestBody: Sendable, Hashable, Codable {
        /// The most bytes carried.
        public var maxBytes: Int
        /// A longer body is cut to `maxBytes` (and the check says so) instead of refused with 413.
        public var allowPartial: Bool
        /// gRPC: the body as bytes (`raw_body`) instead of text (`body`).
        public var packAsBytes: Bool

        public init(maxBytes: Int, allowPartial: Bool = false, packAsBytes: Bool = false) {
            self.maxBytes = maxBytes
            self.allowPartial = allowPartial
            self.packAsBytes = packAsBytes
        }
    }

    public init(name: String, address: String) {
        self.name = name
        self.address = address
    }

    /// A header name (lowercased) and its value.
    public typealias Header = HeaderField
}

/// A rule matches when any source (or none given), any operation (or none given) and every condition match.
public struct AuthorizationRule: Sendable, Hashable, Codable {
    public var sources: [Source]
    public var operations: [Operation]
    public var conditions: [Condition]

    public init(sources: [Source] = [], operations: [Operation] = [], conditions: [Condition] = []) {
        self.sources = sources
        self.operations = operations
        self.conditions = conditions
    }

    /// `from.source`: every list given must match (the `not` lists must not).
    public struct Source: Sendable, Hashable, Codable {
        public var principals: [String] = []
        public var notPrincipals: [String] = []
        public var requestPrincipals: [String] = []
        public var notRequestPrincipals: [String] = []
        public var namespaces: [String] = []
        public var notNamespaces: [String] = []
        public var ipBlocks: [String] = []
        public var notIpBlocks: [String] = []
        public var remoteIpBlocks: [String] = []
        public var notRemoteIpBlocks: [String] = []
        public init() {}
    }

    /// `to.operation`: every list given must match (the `not` lists must not).
    public struct Operation: Sendable, Hashable, Codable {
        public var hosts: [String] = []
        public var notHosts: [String] = []
        public var ports: [String] = []
        public var notPorts: [String] = []
        public var methods: [String] = []
        public var notMethods: [String] = []
        public var paths: [String] = []
        public var notPaths: [String] = []
        public init() {}
    }

    /// `when`: the attribute `key` has one of `values` (if given) and none of `notValues`.
    public struct Condition: Sendable, Hashable, Codable {
        public var key: String
        public var values: [String]
        public var notValues: [String]
        public init(key: String, values: [String] = [], notValues: [String] = []) {
            self.key = key
            self.values = values
            self.notValues = notValues
        }
    }
}
