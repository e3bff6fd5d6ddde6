/// How one string of a request is matched (Istio's StringMatch); regexes are RE2, whole-string.
public struct StringMatcher: Sendable, Hashable, Codable {
    /// The comparison.
    public enum Kind: String, Sendable, Hashable, Codable { case exact, prefix, regex, present }
    public var kind: Kind
    public var value: String
    public var ignoreCase: Bool

    public init(_ kind: Kind, _ value: String = "", ignoreCase: Bool = false) {
        self.kind = kind
        self.value = value
        self.ignoreCase = ignoreCase
    }
}

/// One named request attribute (header or query parameter) and its matcher; `invert` for withoutHeaders.
public struct NamedMatcher: Sendable, Hashable, Codable {
    public var name: String
    public var matcher: StringMatcher
    public var invert: Bool
    public init(name: String, matcher: StringMatcher, invert: Bool = false) {
        self.name = name
        self.matcher = matcher
        self.invert = invert
    }
}

/// All conditions of one HTTPMatchRequest (ANDed). Source conditions are resolved at translation.
public struct RequestMatch: Sendable, Hashable, Codable {
    public var name: String?
    public var uri: StringMatcher?
    public var scheme: StringMatcher?
    public var method: StringMatcher?
    public var authority: StringMatcher?
    public var headers: [NamedMatcher] = []
    public var queryParams: [NamedMatcher] = []
    public var port: Int?

    public init(name: String? = nil) { self.name = name }
}

/// A share of traffic to one cluster.
public struct WeightedCluster: Sendable, Hashable, Codable {
    public var cluster: String
    public var weight: Int
    public var headers: HeaderEdits?
    public init(cluster: String, weight: Int, headers: HeaderEdits? = nil) {
        self.cluster = cluster
        self.weight = weight
        self.headers = headers
    }
}

/// Header set/add/remove on the request and the response.
public struct HeaderEdits: Sendable, Hashable, Codable {
    public var requestSet: [String: String] = [:]
    public var requestAdd: [String: String] = [:]
    public var requestRemove: [String] = []
    public var responseSet: [String: String] = [:]
    public var responseAdd: [String: String] = [:]
    public var responseRemove: [String] = []
    public init() {}

    /// These edits, then `later`'s (a set or add of the same name takes `later`'s value).
    public func then(_ later: HeaderEdits) -> HeaderEdits {
        var merged = self
        merged.requestSet.merge(later.requestSet) { _, new in new }
        merged.requestAdd.merge(later.requestAdd) { _, new in new }
        merged.requestRemove += later.requestRemove
        merged.responseSet.merge(later.responseSet) { _, new in new }
        merged.responseAdd.merge(later.responseAdd) { _, new in new }
        merged.responseRemove += later.responseRemove
        return merged
    }
}

/// What a matched route does.
public enum RouteAction: Sendable, Hashable, Codable {
    case forward([WeightedCluster])
    case redirect(RedirectAction)
    case directResponse(status: Int, body: String?)
}

/// An HTTP redirect answered by the proxy.
public struct RedirectAction: Sendable, Hashable, Codable {
    public var uri: String?
    public var authority: String?
    public var scheme: String?
    public var port: Int?
    public var derivePortFromRequest: Bool
    public var code: Int
    public init(uri: String? = nil, authority: String? = nil, scheme: String? = nil, port: Int? = nil, derivePortFromRequest: Bool = false, code: Int = 301) {
        self.uri = uri
        self.authority = authority
        self.scheme = scheme
        self.port = port
        self.derivePortFromRequest = derivePortFromRequest
        self.code = code
    }
}

/// The per-route policies the request steps apply (timeouts, retries, faults, mirrors, rewrites).
/// Durations are milliseconds. Issue-by-issue the proxy honours more of these.
public struct RoutePolicy: Sendable, Hashable, Codable {
    /// Retry settings.
    public struct Retry: Sendable, Hashable, Codable {
        public var attempts: Int
        public var perTryTimeoutMs: Int?
        public var retryOn: [String]
        /// Whether a condition looks at `grpc-status` (then a 200's headers are read for it); kept
        /// so the data path does not work it out per response.
        public var retriesGRPC: Bool
        public init(attempts: Int, perTryTimeoutMs: Int?, retryOn: [String]) {
            self.attempts = attempts
            self.perTryTimeoutMs = perTryTimeoutMs
            self.retryOn = retryOn
            self.retriesGRPC = retryOn.contains { Self.grpcConditions.values.contains($0) }
        }

        /// Envoy's gRPC retry conditions by the status code they name.
        public static let grpcConditions = [1: "cancelled", 4: "deadline-exceeded", 8: "resource-exhausted", 13: "internal", 14: "unavailable"]

        /// Istio's policy for routes that give none (meshConfig.defaultHttpRetryPolicy): 2 retries on
        /// connect-failure, refused-stream, unavailable, cancelled and the retriable status 503.
        public static let istioDefault = Retry(attempts: 2, perTryTimeoutMs: nil,
                                               retryOn: ["connect-failure", "refused-stream", "unavailable", "cancelled", "retriable-status-codes", "503"])
    }
    /// Delay and abort injection, percentages in [0, 100].
    public struct Fault: Sendable, Hashable, Codable {
        public var delayMs: Int?
        public var delayPercent: Double
        public var abortStatus: Int?
        public var abortGrpcStatus: String?
        public var abortPercent: Double
        public init(delayMs: Int?, delayPercent: Double, abortStatus: Int?, abortGrpcStatus: String?, abortPercent: Double) {
            self.delayMs = delayMs
            self.delayPercent = delayPercent
            self.abortStatus = abortStatus
            self.abortGrpcStatus = abortGrpcStatus
            self.abortPercent = abortPercent
        }
    }
    /// A mirror target and its share.
    public struct Mirror: Sendable, Hashable, Codable {
        public var cluster: String
        public var percent: Double
        public init(cluster: String, percent: Double) {
            self.cluster = cluster
            self.percent = percent
        }
    }
    /// Path and authority rewrites.
    public struct Rewrite: Sendable, Hashable, Codable {
        public var uriPrefix: String?
        public var regexMatch: String?
        public var regexReplacement: String?
        public var authority: String?
        public init(uriPrefix: String? = nil, regexMatch: String? = nil, regexReplacement: String? = nil, authority: String? = nil) {
            self.uriPrefix = uriPrefix
            self.regexMatch = regexMatch
            self.regexReplacement = regexReplacement
            self.authority = authority
        }
    }

    /// Cross-origin resource sharing (Envoy's CORS filter): preflights answered by the proxy.
    public struct CORS: Sendable, Hashable, Codable {
        public var allowOrigins: [StringMatcher]
        public var allowMethods: [String]
        public var allowHeaders: [String]
        public var exposeHeaders: [String]
        public var maxAgeSeconds: Int?
        public var allowCredentials: Bool
        /// A preflight from an origin not allowed goes on to the upstream (Istio's FORWARD, the default).
        public var forwardUnmatchedPreflights: Bool
        public init(allowOrigins: [StringMatcher], allowMethods: [String] = [], allowHeaders: [String] = [], exposeHeaders: [String] = [],
                    maxAgeSeconds: Int? = nil, allowCredentials: Bool = false, forwardUnmatchedPreflights: Bool = true) {
            self.allowOrigins = allowOrigins
            self.allowMethods = allowMethods
            self.allowHeaders = allowHeaders
            self.exposeHeaders = exposeHeaders
            self.maxAgeSeconds = maxAgeSeconds
            self.allowCredentials = allowCredentials
            self.forwardUnmatchedPreflights = forwardUnmatchedPreflights
        }
    }

    public var timeoutMs: Int?
    public var retry: Retry?
    public var fault: Fault?
    public var mirrors: [Mirror] = []
    public var rewrite: Rewrite?
    public var headers: HeaderEdits?
    public var cors: CORS?
    public init() {}
}

/// One route: matches (none = every request), an action and its policies.
/// Its fields live in one immutable object: the matched route is copied into every request's
/// context, and a copy is then one reference counted, not each of the policy's strings and arrays
/// (~1k instructions a request). A change makes a new object (routes change with configuration only).
public struct RouteEntry: Sendable, Hashable, Codable {
    @usableFromInline
    final class Fields: Sendable {
        @usableFromInline let name: String
        @usableFromInline let matches: [RequestMatch]
        @usableFromInline let action: RouteAction
        @usableFromInline let policy: RoutePolicy

        @usableFromInline
        init(name: String, matches: [RequestMatch], action: RouteAction, policy: RoutePolicy) {
            self.name = name
            self.matches = matches
            self.action = action
            self.policy = policy
        }
    }

    @usableFromInline var fields: Fields
    // Read in place (`_read`): a getter would copy the whole policy for each field a step reads of it.
    // Inlinable: a `_read` called across modules allocates its coroutine's frame (7 mallocs a request).

    @inlinable
    public var name: String {
        _read { yield fields.name }
        set { fields = Fields(name: newValue, matches: matches, action: action, policy: policy) }
    }
    @inlinable
    public var matches: [RequestMatch] {
        _read { yield fields.matches }
        set { fields = Fields(name: name, matches: newValue, action: action, policy: policy) }
    }
    @inlinable
    public var action: RouteAction {
        _read { yield fields.action }
        set { fields = Fields(name: name, matches: matches, action: newValue, policy: policy) }
    }
    @inlinable
    public var policy: RoutePolicy {
        _read { yield fields.policy }
        set { fields = Fields(name: name, matches: matches, action: action, policy: newValue) }
    }

    public init(name: String, matches: [RequestMatch], action: RouteAction, policy: RoutePolicy = RoutePolicy()) {
        fields = Fields(name: name, matches: matches, action: action, policy: policy)
    }

    private enum CodingKeys: String, CodingKey {
        case name, matches, action, policy
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try container.decode(String.self, forKey: .name), matches: try container.decode([RequestMatch].self, forKey: .matches),
                  action: try container.decode(RouteAction.self, forKey: .action), policy: try container.decode(RoutePolicy.self, forKey: .policy))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(matches, forKey: .matches)
        try container.encode(action, forKey: .action)
        try container.encode(policy, forKey: .policy)
    }

    public static func == (lhs: RouteEntry, rhs: RouteEntry) -> Bool {
        lhs.fields === rhs.fields
            || (lhs.name == rhs.name && lhs.matches == rhs.matches && lhs.action == rhs.action && lhs.policy == rhs.policy)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(matches)
        hasher.combine(action)
        hasher.combine(policy)
    }
}

/// The routes for a set of domains (and a port, for a sidecar's outbound table).
public struct VirtualHostConfig: Sendable, Hashable, Codable {
    public var name: String
    /// Host names this virtual host answers: exact, `*.suffix`, or `*`.
    public var domains: [String]
    /// The destination port requests must use; nil accepts any.
    public var port: Int?
    public var routes: [RouteEntry]
    /// A gateway server's `httpsRedirect`: a request that did not come over TLS gets 301 to `https://`.
    public var requireTLS = false
    public init(name: String, domains: [String], port: Int?, routes: [RouteEntry], requireTLS: Bool = false) {
        self.name = name
        self.domains = domains
        self.port = port
        self.routes = routes
        self.requireTLS = requireTLS
    }
}

/// A route table: virtual hosts, and what happens to requests for a host none of them answers.
public struct RouteTable: Sendable, Hashable, Codable {
    /// The fate of requests for unknown hosts.
    public enum Fallback: String, Sendable, Hashable, Codable {
        /// Forward to the host as addressed (ALLOW_ANY).
        case passthrough
        /// Refuse with 502 (REGISTRY_ONLY).
        case blackhole
        /// 404 with flag NR (gateways).
        case notFound
    }
    public var name: String
    public var virtualHosts: [VirtualHostConfig]
    public var fallback: Fallback
    /// A Sidecar's `outboundTrafficPolicy.egressProxy` under ALLOW_ANY: where unknown hosts go instead of through.
    public var egressProxyCluster: String?
    public init(name: String, virtualHosts: [VirtualHostConfig], fallback: Fallback, egressProxyCluster: String? = nil) {
        self.name = name
        self.virtualHosts = virtualHosts
        self.fallback = fallback
        self.egressProxyCluster = egressProxyCluster
    }
}
