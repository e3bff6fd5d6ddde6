/// Outlier detection (Envoy's passive health checking) as Istio configures it. Durations are
/// milliseconds; a zero threshold turns that kind of ejection off.
public struct OutlierPolicy: Sendable, Hashable, Codable {
    public var consecutive5xxErrors: Int
    public var consecutiveGatewayErrors: Int
    public var consecutiveLocalOriginFailures: Int
    /// Local failures (connect, reset, timeout) counted apart from the upstream's 5xx answers.
    public var splitLocalOrigin: Bool
    public var intervalMs: Int
    public var baseEjectionMs: Int
    public var maxEjectionPercent: Int
    /// Below this share of healthy endpoints ejections are ignored (Envoy's panic threshold).
    public var minHealthPercent: Int

    /// Envoy's defaults where Istio leaves a field out: 5 consecutive 5xx, gateway errors off,
    /// 10 s interval, 30 s base ejection, 10 % ejectable, panic threshold 0 (Istio's).
    public init(consecutive5xxErrors: Int = 5, consecutiveGatewayErrors: Int = 0, consecutiveLocalOriginFailures: Int = 5, splitLocalOrigin: Bool = false,
                intervalMs: Int = 10_000, baseEjectionMs: Int = 30_000, maxEjectionPercent: Int = 10, minHealthPercent: Int = 0) {
        self.consecutive5xxErrors = consecutive5xxErrors
        self.consecutiveGatewayErrors = consecutiveGatewayErrors
        self.consecutiveLocalOriginFailures = consecutiveLocalOriginFailures
        self.splitLocalOrigin = splitLocalOrigin
        self.intervalMs = intervalMs
        self.baseEjectionMs = baseEjectionMs
        self.maxEjectionPercent = maxEjectionPercent
        self.minHealthPercent = minHealthPercent
    }

    /// Envoy's `max_ejection_time` default: ejections grow up to this.
    public static let maximumEjectionMs = 300_000
}

/// Consistent hashing: what part of a request is hashed, and the table that maps hashes to endpoints.
public struct HashPolicy: Sendable, Hashable, Codable {
    /// The request part hashed.
    public enum Key: Sendable, Hashable, Codable {
        case header(String)
        /// A cookie; when absent and `ttlMs` is set the proxy makes one and sets it on the response.
        case cookie(name: String, path: String?, ttlMs: Int?)
        case sourceIP
        case queryParameter(String)
    }
    /// The hash table.
    public enum Table: Sendable, Hashable, Codable {
        case ring(minimumSize: Int)
        case maglev(size: Int)
    }
    public var key: Key
    public var table: Table

    public init(key: Key, table: Table) {
        self.key = key
        self.table = table
    }

    /// Envoy's ring hash defaults and ceiling.
    public static let defaultRingSize = 1024
    public static let maximumRingSize = 8 * 1024 * 1024
    /// Envoy's default Maglev table size (a prime).
    public static let defaultMaglevSize = 65537
}

/// Slow start: a new endpoint's share grows over `durationMs` (Envoy's slow_start_config).
public struct WarmupPolicy: Sendable, Hashable, Codable {
    public var durationMs: Int
    public var minimumPercent: Double
    public var aggression: Double

    public init(durationMs: Int, minimumPercent: Double = 10, aggression: Double = 1) {
        self.durationMs = durationMs
        self.minimumPercent = minimumPercent
        self.aggression = aggression
    }
}

/// A cluster's connection pool (DestinationRule connectionPool): Envoy's circuit-breaker limits,
/// nil meaning unlimited (Envoy's high defaults), and how upstream connections are kept.
public struct ConnectionPoolPolicy: Sendable, Hashable, Codable {
    /// Connections open to the cluster at once (`tcp.maxConnections`).
    public var maxConnections: Int?
    /// Requests waiting for a connection (`http1MaxPendingRequests`); past it, 503 UO.
    public var maxPendingRequests: Int?
    /// Requests a connection serves before it closes (`maxRequestsPerConnection`).
    public var maxRequestsPerConnection: Int?
    /// Requests in flight to the cluster at once (`http2MaxRequests`, Envoy's max_requests).
    public var maxRequests: Int?
    /// Retries in flight to the cluster at once (`maxRetries`).
    public var maxRetries: Int?
    /// Pooled upstream connections idle this long are closed, milliseconds (Envoy's default: one hour).
    public var idleTimeoutMs: Int?
    public var tcpKeepalive: TCPKeepalive?
    /// A TCP connection with no bytes either way this long is closed (`tcp.idleTimeout`; Istio's
    /// default one hour, 0 never), milliseconds.
    public var tcpIdleTimeoutMs: Int?
    /// Streams in flight on one HTTP/2 connection before another is opened (`maxConcurrentStreams`; nil: the server's limit).
    public var maxConcurrentStreams: Int?
    /// A connection this old takes no more requests and closes (`tcp.maxConnectionDuration`): pooled
    /// HTTP connections once their exchanges end, TCP splices at once; milliseconds.
    public var maxConnectionDurationMs: Int?
    /// Every connection opened to the cluster starts with a PROXY protocol header of this version
    /// (DestinationRule `trafficPolicy.proxyProtocol`, Envoy's upstream_proxy_protocol transport socket).
    public var proxyProtocol: ProxyProtocolVersion?

    public init(maxConnections: Int? = nil, maxPendingRequests: Int? = nil, maxRequestsPerConnection: Int? = nil, maxRequests: Int? = nil,
                maxRetries: Int? = nil, idleTimeoutMs: Int? = nil, tcpKeepalive: TCPKeepalive? = nil) {
        self.maxConnections = maxConnections
        self.maxPendingRequests = maxPendingRequests
        self.maxRequestsPerConnection = maxRequestsPerConnection
        self.maxRequests = maxRequests
        self.maxRetries = maxRetries
        self.idleTimeoutMs = idleTimeoutMs
        self.tcpKeepalive = tcpKeepalive
    }

    /// No limits: a cluster without a connectionPool, or a destination outside the registry.
    public static let unlimited = ConnectionPoolPolicy()
}

/// A PROXY protocol version (HAProxy's proxy-protocol.txt): 1, a text line; 2, binary.
public enum ProxyProtocolVersion: String, Sendable, Hashable, Codable {
    case v1, v2
}

/// TCP keepalive on upstream connections; nil fields keep the kernel's settings.
public struct TCPKeepalive: Sendable, Hashable, Codable {
    public var probes: Int?
    public var timeSeconds: Int?
    public var intervalSeconds: Int?

    public init(probes: Int? = nil, timeSeconds: Int? = nil, intervalSeconds: Int? = nil) {
        self.probes = probes
        self.timeSeconds = timeSeconds
        self.intervalSeconds = intervalSeconds
    }
}

extension HashPolicy.Key {
    /// The text hashed for a request, or nil when the request does not carry it (Envoy then picks
    /// at random). `sourceAddress` is the downstream peer's IP.
    public func value(in request: RequestAttributes, sourceAddress: String?) -> String? {
        switch self {
        case .header(let name): return request.header(name)
        case .queryParameter(let name): return request.queryParameter(name)
        case .sourceIP: return sourceAddress
        case .cookie(let name, _, _): return Self.cookie(name, in: request)
        }
    }

    static func cookie(_ name: String, in request: RequestAttributes) -> String? {
        for cookieHeader in request.headers.values(name: "cookie") {
            for pair in cookieHeader.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, parts[0].trimmingSpaces == name else { continue }
                // A quoted value means the same as the bare one (RFC 6265), as Envoy reads it.
                let value = parts[1].trimmingSpaces
                return String(value.count >= 2 && value.first == "\"" && value.last == "\"" ? value.dropFirst().dropLast() : value)
            }
        }
        return nil
    }
}

private extension Substring {
    var trimmingSpaces: Substring {
        var text = self
        while text.first == " " { text = text.dropFirst() }
        while text.last == " " { text = text.dropLast() }
        return text
    }
}
