import NIOCore
import NIOHTTP1
import WeftTelemetry

/// Access logs: each request that ends writes one line to each log of the configuration it
/// started under, in the log's format, when the log's filter lets it. The line goes to a buffer
/// the file's own queue writes out (`AccessLogSink`), so logging never waits on the disk.
extension ProxyServerHandler {
    /// The logs a request starting now goes to (nil: none).
    func accessLogs(_ configuration: ActiveConfiguration) -> [PreparedAccessLog]? {
        configuration.accessLogs(listener: listener.name)
    }

    /// The request went upstream with `head`; `first`: the head made from the client's (it carries the
    /// request id all attempts share), which the log takes in place of the client's.
    func accessLogForwarded(_ head: ProxyRequestHead, exchange: Exchange, attempt: Int, first: Bool) {
        guard requestTelemetry?.accessLog != nil else { return }
        if first { requestTelemetry?.accessLog?.requestHead = head }
        requestTelemetry?.accessLog?.forwardedPath = head.uri
        requestTelemetry?.accessLog?.attempts = attempt
        requestTelemetry?.accessLog?.upstreamCluster = exchange.upstream.cluster
        requestTelemetry?.accessLog?.upstreamHost = exchange.endpoint
    }

    /// The upstream's answer began with `head` (as it goes downstream).
    func accessLogResponseHead(_ head: ProxyResponseHead) {
        guard requestTelemetry?.accessLog != nil else { return }
        requestTelemetry?.accessLog?.responseHead = head
        requestTelemetry?.accessLog?.firstResponseByte = .now()
        requestTelemetry?.accessLog?.upstreamLocalAddress = machine.attachedUpstream?.localAddressText
    }

    /// Writes the finished request's line to each of its logs.
    func writeAccessLog(_ log: RequestAccessLog, _ telemetry: RequestTelemetry, elapsedNanoseconds: UInt64) {
        var entry = AccessLogEntry(startTime: log.startTime, method: log.codecError ? "" : log.requestHead.method.rawValue,
                                   path: log.codecError ? "" : log.forwardedPath ?? log.originalPath, authority: log.authority, scheme: listener.scheme)
        if let forwarded = log.forwardedPath, forwarded != log.originalPath { entry.originalPath = log.originalPath }
        entry.protocolName = http2 ? "HTTP/2" : log.requestHead.version == .http1_0 ? "HTTP/1.0" : "HTTP/1.1"
        entry.requestHeaders = LoggedFields(headers: log.requestHead.headers)
        entry.responseHeaders = log.responseHead.map { LoggedFields(headers: $0.headers) }
        entry.responseCode = telemetry.status
        entry.responseFlags = telemetry.flags
        if telemetry.status != 0 {
            entry.responseCodeDetails = log.details ?? (log.responseHead != nil ? "via_upstream"
                : ResponseFlag.details(flag: telemetry.flags.split(separator: ",").first { $0 != "URX" && $0 != "DI" }.map(String.init)))
        }
        entry.bytesReceived = telemetry.requestBytes
        entry.bytesSent = telemetry.responseBytes
        entry.durationMs = Int(elapsedNanoseconds / 1_000_000)
        if let first = log.firstResponseByte { entry.responseDurationMs = Int((first.uptimeNanoseconds &- telemetry.started.uptimeNanoseconds) / 1_000_000) }
        entry.upstreamCluster = log.upstreamCluster
        entry.upstreamHost = log.upstreamHost
        entry.upstreamLocalAddress = log.upstreamLocalAddress
        entry.upstreamAttemptCount = log.attempts > 0 ? log.attempts : nil
        entry.upstreamPeerURISAN = machine.attachedUpstream?.peerIdentity
        entry.routeName = log.routeName
        entry.downstreamRemoteAddress = downstreamAddresses.remote
        if let client = log.trustedClient {
            // As Envoy logs an address read from X-Forwarded-For: no port (0); the peer stays the direct address.
            entry.downstreamDirectRemoteAddress = entry.downstreamRemoteAddress
            entry.downstreamRemoteAddress = client.contains(":") ? "[\(client)]:0" : "\(client):0"
        }
        entry.downstreamLocalAddress = downstreamAddresses.local
        if let peer {
            // The certificate's URI name as it is (a gateway's MUTUAL client may have none, or no SPIFFE one).
            entry.downstreamPeerURISAN = peer.certificate.identity.isEmpty ? nil : peer.certificate.identity
            entry.downstreamLocalURISAN = peer.localIdentity.isEmpty ? nil : peer.localIdentity
        }
        for accessLog in log.logs {
            if let filter = accessLog.filter, !filter.matches(entry) { continue }
            switch accessLog.destination {
            case .file(let sink):
                accessLogLine.removeAll(keepingCapacity: true)
                AccessLogFormatter.append(entry, format: accessLog.format, to: &accessLogLine)
                if !sink.append(accessLogLine) { listener.stats.increment("access_log_dropped") }
            case .collector(let sink, let attributes):
                let record = OTLPLogRecords.record(entry, body: accessLog.format, attributes: attributes, trace: telemetry.span?.context)
                if !sink.append(record) { listener.stats.increment("access_log_dropped") }
            }
        }
    }
}
