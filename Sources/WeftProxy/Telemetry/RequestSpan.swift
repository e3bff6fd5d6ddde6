import NIOCore
import WeftModel
import WeftTelemetry
#if canImport(Glibc)
import Glibc
#endif

/// One request's span at this proxy, from its head to its answer's end: its context (this span's
/// id, the caller's as parent, the trace's), whether it is sampled, and what its tags need that
/// the metrics do not keep. Made as Envoy's Zipkin tracer makes it (`shared_span_context: false`,
/// 128-bit trace ids, as Istio configures it): each proxy a span of its own, a child of the
/// caller's span; the next hop gets this span's id as its parent.
/// What only a reported span needs is in `tags`, made for a sampled span alone: an unsampled one
/// (99 % of them by default) holds one reference, where its twelve fields were each retained and
/// released when the request's telemetry took it.
struct RequestSpan {
    var context: TraceContext
    private let shared: SharedTracingConfig
    var config: TracingConfig { shared.config }
    let kind: ZipkinSpan.Kind
    /// The request came with W3C `traceparent`: it is written back updated.
    let w3c: Bool
    /// Epoch microseconds; 0 for a span not reported.
    let timestamp: Int64
    /// A sampled span's tags as they are learnt; nil for a span that is not reported.
    let tags: SampledSpanTags?

    var sampled: Bool { context.sampled == true || context.debug }
    /// The request came with trace context headers (to be replaced on the way upstream).
    let carriedContext: Bool
    /// Where the caller's B3 fields lie in the request's head, to be rewritten there; nil when
    /// they are found again by name (none came, one came twice, or `b3` came with them).
    let carriedSpots: HeaderFields.Spots?

    /// The span a request starts here: a child of the caller's, or a new trace. The caller's
    /// decision stands; without one, `x-envoy-force-trace` samples, else the configured percentage.
    /// `carriesContext`: false when the request has none of the context's headers (then they are not looked up).
    /// `headers`: the request's, read in place (a closure over the head, as this took before, had
    /// the head copied for it: a retain and release of each of its fields per request).
    init(config: SharedTracingConfig, kind: ZipkinSpan.Kind, carriesContext: Bool = true, headers: HeaderFields) {
        shared = config
        self.kind = kind
        self.carriedContext = carriesContext
        let (ownSpan, newHigh) = FastRandom.pair()
        let ownID = ownSpan == 0 ? 1 : ownSpan
        if carriesContext, let (incoming, source, spots) = Self.incomingContext(headers) {
            context = TraceContext(traceIDHigh: incoming.traceIDHigh, traceIDLow: incoming.traceIDLow, spanID: ownID, parentSpanID: incoming.spanID,
                                   sampled: incoming.sampled, debug: incoming.debug, is128Bit: incoming.is128Bit)
            w3c = source == .w3c || headers.contains("traceparent")
            carriedSpots = w3c ? nil : spots
        } else {
            carriedSpots = nil
            let decision = carriesContext ? TraceContext.decisionOnly({ headers.first(name: $0) }) : (sampled: nil, debug: false)
            let (low, _) = FastRandom.pair()
            context = TraceContext(traceIDHigh: newHigh, traceIDLow: low == 0 ? 1 : low, spanID: ownID, sampled: decision.sampled, debug: decision.debug)
            w3c = carriesContext && headers.contains("traceparent")
        }
        if context.sampled == nil {
            context.sampled = headers.contains("x-envoy-force-trace") || FastRandom.chance(config.config.sampling)
        }
        // Only a reported span needs its start's wall-clock time.
        if context.sampled == true || context.debug {
            var now = timespec()
            clock_gettime(CLOCK_REALTIME, &now)
            timestamp = Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000
            tags = SampledSpanTags(config: config.config, headers: headers)
        } else {
            timestamp = 0
            tags = nil
        }
    }

    /// The finished span, Zipkin v2, with Istio's tags.
    func finished(tracer: ProxyTracer, durationMicroseconds: Int64, status: Int, flags: String, requestBytes: Int, responseBytes: Int,
                  peerAddress: SocketAddress?, operation: String) -> ZipkinSpan {
        let sampled = self.tags ?? SampledSpanTags()
        let (requestID, upstream, upstreamCluster, method, url, userAgent) =
            (sampled.requestID, sampled.upstream, sampled.upstreamCluster, sampled.method, sampled.url, sampled.userAgent)
        var span = ZipkinSpan(traceID: context.traceIDHex, id: Hex.sixteen(context.spanID), parentID: context.parentSpanID.map(Hex.sixteen),
                              name: operation, kind: kind, timestamp: timestamp, duration: durationMicroseconds)
        span.debug = context.debug
        span.localEndpoint = ZipkinSpan.Endpoint(serviceName: tracer.serviceName, ipv4: tracer.podIP.utf8.contains(UInt8(ascii: ":")) ? nil : tracer.podIP,
                                                 ipv6: tracer.podIP.utf8.contains(UInt8(ascii: ":")) ? tracer.podIP : nil)
        switch kind {
        case .SERVER, .CONSUMER:
            span.remoteEndpoint = peerAddress.flatMap { address in address.ipAddress.map { ZipkinSpan.Endpoint(ipv4: $0.utf8.contains(UInt8(ascii: ":")) ? nil : $0, ipv6: $0.utf8.contains(UInt8(ascii: ":")) ? $0 : nil, port: address.port) } }
        case .CLIENT, .PRODUCER:
            if let upstream { span.remoteEndpoint = ZipkinSpan.Endpoint(address: "\(upstream.host):\(upstream.port)") }
        }
        var tags: [(String, String)] = [
            ("component", "proxy"),
            ("node_id", tracer.nodeID),
            ("http.url", String(url.prefix(config.maxPathTagLength))),
            ("http.method", method),
            ("http.protocol", "HTTP/1.1"),
            ("downstream_cluster", "-"),
            ("user_agent", userAgent ?? "-"),
            ("http.status_code", String(status)),
            ("request_size", String(requestBytes)),
            ("response_size", String(responseBytes)),
            ("response_flags", flags),
            ("istio.canonical_service", tracer.workload.canonicalService),
            ("istio.canonical_revision", tracer.workload.canonicalRevision),
            ("istio.mesh_id", config.meshID),
            ("istio.namespace", tracer.workload.namespace),
        ]
        if let requestID { tags.append(("guid:x-request-id", requestID)) }
        if let upstreamCluster {
            tags.append(("upstream_cluster", upstreamCluster))
            tags.append(("upstream_cluster.name", upstreamCluster))
        }
        if let ip = peerAddress?.ipAddress { tags.append(("peer.address", ip)) }
        // Envoy marks a 5xx, or no answer at all, as an error.
        if status >= 500 || status == 0 { tags.append(("error", "true")) }
        for tag in config.customTags {
            switch tag.source {
            case .literal(let value): tags.append((tag.name, value))
            case .environment(let name):
                if let value = ProxyEnvironmentValue.read(name) ?? tag.defaultValue { tags.append((tag.name, value)) }
            case .header: break
            }
        }
        tags.append(contentsOf: sampled.headerTags)
        span.tags = tags
        return span
    }
}

/// A sampled span's tags that the request's head, route and upstream give (Istio's, and custom tags
/// from request headers); a class, so that the span holding it stays one reference to copy.
// Only the connection's event loop touches a request's span.
final class SampledSpanTags {
    var requestID: String?
    var upstream: (host: String, port: Int)?
    var upstreamCluster: String?
    var method = ""
    var url = ""
    var userAgent: String?
    /// Custom tags from request headers, read when the head arrived.
    var headerTags: [(String, String)] = []

    init() {}

    init(config: TracingConfig, headers: HeaderFields) {
        for tag in config.customTags {
            if case .header(let name) = tag.source, let value = headers.first(name: name) ?? tag.defaultValue { headerTags.append((tag.name, value)) }
        }
    }
}

/// A variable of the proxy's environment (custom tags from `environment`).
enum ProxyEnvironmentValue {
    static func read(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }
}

/// A listener's tracing settings, shared by the spans of its requests: a span that copied the
/// struct retained each of its strings and arrays for every request (1 % of them reported).
final class SharedTracingConfig: Sendable {
    let config: TracingConfig

    init(_ config: TracingConfig) {
        self.config = config
    }
}
