/// Istio's VirtualService: how requests to a set of hosts are routed.
public typealias VirtualService = IstioObject<VirtualServiceSpec>

/// `networking.istio.io` VirtualService spec (istio/api networking/v1alpha3/virtual_service.proto).
public struct VirtualServiceSpec: IstioSpec {
    public static let resourceType = ResourceType(group: "networking.istio.io", kind: "VirtualService", versions: ["v1", "v1beta1", "v1alpha3"], plural: "virtualservices", shortNames: ["vs"])
    public var hosts: [String]?
    public var gateways: [String]?
    public var http: [HTTPRoute]?
    public var tls: [TLSRoute]?
    public var tcp: [TCPRoute]?
    public var exportTo: [String]?
    public init() {}
}

/// One HTTP route: matches, and what to do with a request that matches.
public struct HTTPRoute: Codable, Sendable, Hashable {
    public var name: String?
    public var match: [HTTPMatchRequest]?
    public var route: [HTTPRouteDestination]?
    public var redirect: HTTPRedirect?
    public var directResponse: HTTPDirectResponse?
    public var delegate: Delegate?
    public var rewrite: HTTPRewrite?
    public var timeout: IstioDuration?
    public var retries: HTTPRetry?
    public var fault: HTTPFaultInjection?
    public var mirror: Destination?
    public var mirrors: [HTTPMirrorPolicy]?
    /// Deprecated: use `mirrorPercentage`.
    public var mirrorPercent: Int?
    public var mirrorPercentage: Percent?
    public var corsPolicy: CorsPolicy?
    public var headers: Headers?
}

/// The conditions one HTTP request must meet; all fields of one match are ANDed.
public struct HTTPMatchRequest: Codable, Sendable, Hashable {
    public var name: String?
    public var uri: StringMatch?
    public var scheme: StringMatch?
    public var method: StringMatch?
    public var authority: StringMatch?
    public var headers: [String: StringMatch]?
    public var port: Int?
    public var sourceLabels: [String: String]?
    public var gateways: [String]?
    public var queryParams: [String: StringMatch]?
    public var ignoreUriCase: Bool?
    public var withoutHeaders: [String: StringMatch]?
    public var sourceNamespace: String?
    public var statPrefix: String?
}

/// Exactly one of exact, prefix or regex (RE2). An empty match (`{}`) tests for presence.
public struct StringMatch: Codable, Sendable, Hashable {
    public var exact: String?
    public var prefix: String?
    public var regex: String?
    public init(exact: String? = nil, prefix: String? = nil, regex: String? = nil) {
        self.exact = exact
        self.prefix = prefix
        self.regex = regex
    }
}

/// A weighted destination of an HTTP route.
public struct HTTPRouteDestination: Codable, Sendable, Hashable {
    public var destination: Destination?
    public var weight: Int?
    public var headers: Headers?
}

/// A weighted destination of a TLS or TCP route.
public struct RouteDestination: Codable, Sendable, Hashable {
    public var destination: Destination?
    public var weight: Int?
}

/// A service (host), optionally a subset and port.
public struct Destination: Codable, Sendable, Hashable {
    public var host: String?
    public var subset: String?
    public var port: PortSelector?
    public init(host: String? = nil, subset: String? = nil, port: PortSelector? = nil) {
        self.host = host
        self.subset = subset
        self.port = port
    }
}

/// Selects a port by number.
public struct PortSelector: Codable, Sendable, Hashable {
    public var number: Int?
}

/// Header edits on the request and the response.
public struct Headers: Codable, Sendable, Hashable {
    /// set, add and remove, applied in that order.
    public struct Operations: Codable, Sendable, Hashable {
        public var set: [String: String]?
        public var add: [String: String]?
        public var remove: [String]?
    }
    public var request: Operations?
    public var response: Operations?
}

/// A redirect answered by the proxy (301 unless `redirectCode` says otherwise).
public struct HTTPRedirect: Codable, Sendable, Hashable {
    /// How the redirect's port is chosen when `port` is not set.
    public enum DerivePort: String, APIEnum { case FROM_PROTOCOL_DEFAULT, FROM_REQUEST_PORT }
    public var uri: String?
    public var authority: String?
    public var port: Int?
    public var derivePort: DerivePort?
    public var scheme: String?
    public var redirectCode: Int?
}

/// A response the proxy writes itself.
public struct HTTPDirectResponse: Codable, Sendable, Hashable {
    /// The body: text or base64 bytes.
    public struct Body: Codable, Sendable, Hashable {
        public var string: String?
        public var bytes: String?
    }
    public var status: Int?
    public var body: Body?
}

/// Hands the route to another VirtualService.
public struct Delegate: Codable, Sendable, Hashable {
    public var name: String?
    public var namespace: String?
}

/// Rewrites the path or authority before forwarding.
public struct HTTPRewrite: Codable, Sendable, Hashable {
    /// An RE2 pattern and its replacement.
    public struct RegexRewrite: Codable, Sendable, Hashable {
        public var match: String?
        public var rewrite: String?
    }
    public var uri: String?
    public var authority: String?
    public var uriRegexRewrite: RegexRewrite?
}

/// Retry policy.
public struct HTTPRetry: Codable, Sendable, Hashable {
    public var attempts: Int?
    public var perTryTimeout: IstioDuration?
    public var retryOn: String?
    public var retryRemoteLocalities: Bool?
    public var retryIgnorePreviousHosts: Bool?
    public var backoff: IstioDuration?
}

/// Delay and abort faults.
public struct HTTPFaultInjection: Codable, Sendable, Hashable {
    /// Delays a share of requests.
    public struct Delay: Codable, Sendable, Hashable {
        public var fixedDelay: IstioDuration?
        public var exponentialDelay: IstioDuration?
        public var percentage: Percent?
        /// Deprecated: use `percentage`.
        public var percent: Int?
    }
    /// Answers a share of requests with an error.
    public struct Abort: Codable, Sendable, Hashable {
        public var httpStatus: Int?
        public var grpcStatus: String?
        public var http2Error: String?
        public var percentage: Percent?
    }
    public var delay: Delay?
    public var abort: Abort?
}

/// Istio's `Percent` message: a value in [0, 100].
public struct Percent: Codable, Sendable, Hashable {
    public var value: Double?
}

/// One mirror target with its share of traffic.
public struct HTTPMirrorPolicy: Codable, Sendable, Hashable {
    public var destination: Destination?
    public var percentage: Percent?
}

/// CORS settings; the proxy answers preflights itself.
public struct CorsPolicy: Codable, Sendable, Hashable {
    /// What to do with a preflight whose origin does not match.
    public enum UnmatchedPreflights: String, APIEnum { case UNSPECIFIED, FORWARD, IGNORE }
    public var allowOrigins: [StringMatch]?
    /// Deprecated: use `allowOrigins`.
    public var allowOrigin: [String]?
    public var allowMethods: [String]?
    public var allowHeaders: [String]?
    public var exposeHeaders: [String]?
    public var maxAge: IstioDuration?
    public var allowCredentials: Bool?
    public var unmatchedPreflights: UnmatchedPreflights?
}

/// A route for TLS traffic, matched on SNI.
public struct TLSRoute: Codable, Sendable, Hashable {
    public var match: [TLSMatchAttributes]?
    public var route: [RouteDestination]?
}

/// What a TLS connection must look like to match.
public struct TLSMatchAttributes: Codable, Sendable, Hashable {
    public var sniHosts: [String]?
    public var destinationSubnets: [String]?
    public var port: Int?
    public var sourceLabels: [String: String]?
    public var gateways: [String]?
    public var sourceNamespace: String?
}

/// A route for opaque TCP traffic.
public struct TCPRoute: Codable, Sendable, Hashable {
    public var match: [L4MatchAttributes]?
    public var route: [RouteDestination]?
}

/// What a TCP connection must look like to match.
public struct L4MatchAttributes: Codable, Sendable, Hashable {
    public var destinationSubnets: [String]?
    public var port: Int?
    public var sourceSubnet: String?
    public var sourceLabels: [String: String]?
    public var gateways: [String]?
    public var sourceNamespace: String?
}
