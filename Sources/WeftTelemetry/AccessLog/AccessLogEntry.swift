/// Headers as an access log reads them: by lower-cased name, the first value.
public protocol AccessLogHeaders {
    func accessLogValue(_ lowercasedName: String) -> String?
}

/// What one request leaves for its access log line: Envoy's stream info, as the proxy saw it.
/// Addresses are `ip:port`; nil means unavailable (`-` in text, null in JSON).
public struct AccessLogEntry {
    public var startTime: StartTimeFormat.Instant
    public var method: String
    /// The path as sent upstream (after a rewrite).
    public var path: String
    /// The path as the client sent it, when a rewrite changed it (Envoy's `x-envoy-original-path`).
    public var originalPath: String?
    public var authority: String
    public var scheme: String
    public var protocolName = "HTTP/1.1"
    public var requestHeaders: (any AccessLogHeaders)?
    public var responseHeaders: (any AccessLogHeaders)?
    public var responseTrailers: (any AccessLogHeaders)?
    /// 0 when no response was sent, as Envoy logs it.
    public var responseCode = 0
    /// `-` when none.
    public var responseFlags = "-"
    public var responseCodeDetails: String?
    public var connectionTerminationDetails: String?
    /// Body bytes from the client, and to it.
    public var bytesReceived = 0
    public var bytesSent = 0
    /// Milliseconds from the request's first byte to the response's last.
    public var durationMs = 0
    /// Milliseconds until the request's last byte, and until the response's first.
    public var requestDurationMs: Int?
    public var responseDurationMs: Int?
    public var upstreamHost: String?
    public var upstreamCluster: String?
    public var upstreamLocalAddress: String?
    public var upstreamTransportFailureReason: String?
    public var upstreamAttemptCount: Int?
    public var upstreamPeerURISAN: String?
    public var downstreamRemoteAddress: String?
    /// The peer's address when the remote one above was read from `X-Forwarded-For` (a gateway's
    /// trusted proxies, Envoy's `%DOWNSTREAM_DIRECT_REMOTE_ADDRESS%`); nil: the same as it.
    public var downstreamDirectRemoteAddress: String?
    public var downstreamLocalAddress: String?
    public var downstreamPeerURISAN: String?
    public var downstreamLocalURISAN: String?
    public var downstreamTLSVersion: String?
    public var requestedServerName: String?
    public var routeName: String?
    public var streamID: String?

    public init(startTime: StartTimeFormat.Instant, method: String, path: String, authority: String, scheme: String) {
        self.startTime = startTime
        self.method = method
        self.path = path
        self.authority = authority
        self.scheme = scheme
    }

    /// A request header, the request line's parts by their HTTP/2 names.
    func requestHeader(_ name: String) -> String? { requestHeader(RequestHeaderKey(name)) }

    func requestHeader(_ key: RequestHeaderKey) -> String? {
        switch key {
        // Empty for a request the codec could not read: logged as absent (`-`, JSON null), as Envoy does.
        case .method: return method.isEmpty ? nil : method
        case .path: return path.isEmpty ? nil : path
        case .authority, .host: return authority.isEmpty ? nil : authority
        case .scheme: return scheme
        case .originalPath: return originalPath ?? requestHeaders?.accessLogValue("x-envoy-original-path")
        case .field(let name): return requestHeaders?.accessLogValue(name)
        }
    }
}
