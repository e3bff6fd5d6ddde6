import NIOCore
import NIOHTTP1
import WeftModel
import WeftTelemetry
#if canImport(Glibc)
import Glibc
#endif

/// What one request's access log line is made of beyond its metrics, gathered while it runs:
/// the logs it goes to (those of the configuration it started under), the wall-clock start, the
/// heads as they went out, and where it went. Kept only when the listener logs.
struct RequestAccessLog {
    let logs: [PreparedAccessLog]
    let startTime: StartTimeFormat.Instant
    /// The request as it arrived, then as it went upstream (x-request-id, x-forwarded-for, edits).
    var requestHead: ProxyRequestHead
    /// The path as the client sent it (origin form) and the authority it named.
    let originalPath: String
    let authority: String
    var forwardedPath: String?
    var responseHead: ProxyResponseHead?
    var routeName: String?
    var upstreamCluster: String?
    var upstreamHost: String?
    var upstreamLocalAddress: String?
    var attempts = 0
    var firstResponseByte: NIODeadline?
    /// Envoy's response code details when the proxy knows them better than the flags say (`direct_response`).
    var details: String?
    /// The request could not be parsed: no method, path or protocol is logged.
    var codecError = false
    /// Behind a gateway's trusted proxies: the client `X-Forwarded-For` names, logged as the remote address.
    var trustedClient: String?

    init(logs: [PreparedAccessLog], head: ProxyRequestHead, originalPath: String, authority: String) {
        self.logs = logs
        requestHead = head
        self.originalPath = originalPath
        self.authority = authority
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        startTime = StartTimeFormat.Instant(seconds: Int64(now.tv_sec), nanoseconds: Int32(now.tv_nsec))
    }
}

/// A head's fields as an access log reads them.
struct LoggedFields: AccessLogHeaders {
    let headers: HeaderFields
    func accessLogValue(_ lowercasedName: String) -> String? { headers.first(name: lowercasedName) }
}

extension SocketAddress {
    /// `ip:port` (`[ip]:port` for IPv6), as Envoy's access log writes addresses.
    var accessLogText: String? {
        guard let ip = ipAddress, let port else { return nil }
        if case .v6 = self { return "[\(ip)]:\(port)" }
        return "\(ip):\(port)"
    }
}
