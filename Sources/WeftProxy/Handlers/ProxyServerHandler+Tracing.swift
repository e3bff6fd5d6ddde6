import NIOCore
import NIOHTTP1
import WeftModel
import WeftTelemetry

/// Tracing: each request gets this proxy's span (CLIENT outbound and at gateways, SERVER inbound,
/// as Istio's listeners make them), its context goes upstream as B3 headers (and `traceparent`
/// when the request came with one), and a sampled span, once the answer ends, goes to the
/// exporter's queue.
extension ProxyServerHandler {
    /// The headers that carry a trace context: B3's with W3C's.
    static let traceContextNames = HeaderNameSet(TraceContext.headerWireNames.map { HeaderName($0) } + ["traceparent"])

    /// The span of a request whose head just arrived.
    func beginSpan(_ head: ProxyRequestHead, attributes: RequestAttributes, originForm: String, config: SharedTracingConfig) -> RequestSpan {
        // Most requests carry no context: then its names are not looked up one by one. One that
        // comes from a sidecar carries B3's trace id: found first, without matching the whole set.
        let carriesContext = head.headers.contains("x-b3-traceid") || head.headers.containsAny(of: Self.traceContextNames)
        let span = RequestSpan(config: config, kind: listener.inboundPort != nil ? .SERVER : .CLIENT, carriesContext: carriesContext, headers: head.headers)
        // Tagged also when the proxy answers itself (no route, no endpoint), as Envoy tags every span;
        // made only for a span that will be reported (the decision is taken by now).
        if let tags = span.tags {
            tags.method = head.method.rawValue
            tags.url = "\(listener.scheme)://\(attributes.authority)\(originForm)"
            tags.userAgent = head.headers.first("user-agent")
            tags.requestID = head.headers.first("x-request-id")
        }
        return span
    }

    /// The request goes upstream: the next hop's context is this span.
    func traceHeaders(_ head: inout ProxyRequestHead, exchange: Exchange) {
        // Fields read where they lie: the span and the upstream are not copied whole.
        guard let context = requestTelemetry?.span?.context else { return }
        RequestSpan.propagate(context, w3c: requestTelemetry?.span?.w3c == true, carried: requestTelemetry?.span?.carriedContext == true,
                              spots: requestTelemetry?.span?.carriedSpots, to: &head.headers)
        if let tags = requestTelemetry?.span?.tags { tags.requestID = head.headers.first("x-request-id") }
        spanUpstream(exchange)
    }

    /// The endpoint the span's request goes to (each attempt's).
    func spanUpstream(_ exchange: Exchange) {
        guard let tags = requestTelemetry?.span?.tags else { return }
        tags.upstream = (exchange.upstream.host, exchange.upstream.port)
        tags.upstreamCluster = exchange.upstream.cluster
    }

    /// The request is over: its span, with Istio's tags, to the exporter.
    func finishSpan(_ span: RequestSpan, _ telemetry: RequestTelemetry, elapsedNanoseconds: UInt64) {
        guard let tracer = listener.tracer, !span.config.disableSpanReporting else { return }
        let finished = span.finished(tracer: tracer, durationMicroseconds: Int64(elapsedNanoseconds / 1000), status: telemetry.status, flags: telemetry.flags,
                                     requestBytes: telemetry.requestBytes, responseBytes: telemetry.responseBytes,
                                     peerAddress: context.flatMap { listener.remoteAddress(of: $0.channel) }, operation: operationName(span, telemetry))
        tracer.queue.submit(finished, to: span.config.collector)
    }

    /// Istio's route decorator: `<service host>:<port>/*`.
    func operationName(_ span: RequestSpan, _ telemetry: RequestTelemetry) -> String {
        if let port = listener.inboundPort, let tracer = listener.tracer {
            var service = RequestTelemetry.inboundService(authority: Self.hostPart(telemetry.serviceSource), namespace: tracer.workload.namespace)
            // Called by address (a gateway keeps the client's authority): the workload's own service.
            if service == WorkloadMetadata.unknownValue { service = "\(tracer.workload.canonicalService).\(tracer.workload.namespace).svc.cluster.local" }
            return "\(service):\(port)/*"
        }
        guard let cluster = span.tags?.upstreamCluster ?? (telemetry.serviceSource.hasPrefix("outbound|") ? telemetry.serviceSource : nil) else { return "-" }
        // `outbound|port|subset|host`, split on its bytes (Character by Character was ~30k instructions a span).
        let parts = cluster.utf8.split(separator: UInt8(ascii: "|"), omittingEmptySubsequences: false)
        guard parts.count == 4 else { return "\(cluster)/*" }
        return "\(Substring(parts[3])):\(Substring(parts[1]))/*"
    }

    static func hostPart(_ authority: String) -> String {
        if authority.hasPrefix("[") { return authority }
        guard let colon = authority.lastIndex(of: ":") else { return authority }
        return String(authority[..<colon])
    }
}
