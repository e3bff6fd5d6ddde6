import Logging
import NIOCore
import NIOConcurrencyHelpers
import ServiceLifecycle
import WeftHTTPServer
import WeftModel
import WeftTelemetry

/// Where finished spans wait for the exporter: a bounded queue a request appends to under a short
/// lock (never I/O, never waiting), so a collector that refuses, hangs or answers 500 costs the
/// data path nothing; what does not fit is dropped and counted.
public final class SpanQueue: Sendable {
    /// Spans held at most (Envoy's Zipkin tracer keeps a similar bounded buffer).
    static let maximumQueued = 4096
    private let spans = NIOLockedValueBox<[(collector: SpanCollector, span: ZipkinSpan)]>([])
    let stats: ProxyStats

    public init(stats: ProxyStats) {
        self.stats = stats
    }

    func submit(_ span: ZipkinSpan, to collector: SpanCollector) {
        let kept = spans.withLockedValue { queued -> Bool in
            guard queued.count < Self.maximumQueued else { return false }
            queued.append((collector, span))
            return true
        }
        if !kept { stats.increment(collector.stat("spans_dropped")) }
    }

    func takeAll() -> [(collector: SpanCollector, span: ZipkinSpan)] {
        spans.withLockedValue { queued in
            defer { queued = [] }
            return queued
        }
    }
}

/// Sends queued spans every `flushInterval`, one batch per collector, as Envoy's tracers flush on
/// their timers: Zipkin v2 JSON (`POST /api/v2/spans`), or OTLP to an OpenTelemetry collector over
/// gRPC (`TraceService/Export`) or HTTP (protobuf, `POST /v1/traces`). It runs on the proxy's own
/// loop (a timer there, no thread of its own) and keeps one connection open per collector. A
/// collector named by a mesh service (`jaeger-collector.observability:9411`) is reached at one of
/// the service's endpoints, as Envoy's cluster for it would; any other name is looked up in DNS.
/// Counted as Envoy counts: `tracing.zipkin.reports_sent`, `reports_dropped` (the collector
/// answered with an error), `reports_failed` (no answer), `spans_sent`, `spans_dropped`; the same
/// under `tracing.opentelemetry.` for an OpenTelemetry collector.
public struct SpanExporterService: Service {
    let queue: SpanQueue
    let configuration: ConfigurationStore
    let namespace: String
    /// The workload certificate: a collector at `https://` (the control plane's API beyond loopback) is checked against its mesh roots.
    let certificates: WorkloadCertificates?
    let logger: Logger
    /// The proxy's own loop: exporting starts no thread of its own.
    let eventLoop: any EventLoop
    /// Envoy posts once 5 spans are buffered (`tracing.zipkin.min_flush_spans`) or every 5 s. Every
    /// batch wakes the collector, and on cores the proxies share each wake-up can leave both proxy
    /// loops on one core for a few hundred milliseconds (`perf sched`: the cores' idle share jumped
    /// from ~2 to ~10 ms in 20 right after a batch). With mutual TLS at saturation (one pair, 2 cores,
    /// 3 runs each), batches every 200 ms left 18–21 % of the machine idle at 22.0–22.2k req/s, every
    /// second 7–13 % at 22.9–24.1k (p99 1.21 ms against 1.24), no span reported 8–11 %. A batch a
    /// second at 1 % of 25k req/s is ~250 spans, ~4 ms of the built-in collector's work.
    var flushInterval: TimeAmount = .seconds(1)
    var requestTimeout: TimeAmount = .seconds(5)

    public init(queue: SpanQueue, configuration: ConfigurationStore, namespace: String, certificates: WorkloadCertificates? = nil, eventLoop: any EventLoop, logger: Logger) {
        self.certificates = certificates
        self.eventLoop = eventLoop
        self.queue = queue
        self.configuration = configuration
        self.namespace = namespace
        self.logger = logger
    }

    public func run() async throws {
        let reporter = try await eventLoop.submit { NIOLoopBound(SpanReporter(self), eventLoop: eventLoop) }.get()
        let timer = eventLoop.scheduleRepeatedTask(initialDelay: flushInterval, delay: flushInterval) { _ in
            reporter.value.flush()
        }
        try? await gracefulShutdown()
        let stopped = eventLoop.makePromise(of: Void.self)
        timer.cancel(promise: stopped)
        try? await stopped.futureResult.get()
        // Whatever finished before the drain still goes out (a batch on its way first ends).
        try? await eventLoop.flatSubmit { reporter.value.flushWhenIdle() }.get()
        let clients = (try? await eventLoop.submit { reporter.value.close() }.get()) ?? []
        for client in clients { await client.shutdown() }
    }

    /// `resolve` over the configuration in force when it is asked (a collector of access log records).
    static func resolver(_ store: ConfigurationStore, namespace: String) -> OTLPLogSink.Resolver {
        { host, port, current in resolve(host: host, port: port, in: store.active, namespace: namespace, current: current).map { ($0.address, $0.port) } }
    }

    /// A mesh service's endpoint for `host` (short names completed from the proxy's namespace):
    /// `current` while it is still one, so a kept connection stays; nil dials `host` itself.
    static func resolve(host: String, port: Int, in configuration: ActiveConfiguration, namespace: String,
                        current: (host: String, port: Int)? = nil) -> (address: String, port: Int)? {
        guard host.first?.isNumber != true, !host.contains(":"), host != "localhost" else { return nil }
        // Completed as cluster DNS would, the same way an inbound request's authority names its service.
        let fqdn = RequestTelemetry.inboundService(authority: host, namespace: namespace)
        guard let endpoints = configuration.endpoints["outbound|\(port)||\(fqdn)"], !endpoints.isEmpty else { return nil }
        if let current, endpoints.contains(where: { $0.address == current.host && $0.port == current.port }) { return (current.host, current.port) }
        let endpoint = endpoints[Int(FastRandom.unit() * Double(endpoints.count)) % endpoints.count]
        return (endpoint.address, endpoint.port)
    }
}

extension SpanCollector {
    /// An exporter counter of this collector's kind (`tracing.zipkin.spans_sent`, `tracing.opentelemetry.spans_sent`).
    func stat(_ name: String) -> String {
        `protocol` == .zipkin ? "tracing.zipkin.\(name)" : "tracing.opentelemetry.\(name)"
    }
}

/// `host:port` and `[v6]:port` split.
enum CollectorAddress {
    /// `host:port`, `http://host:port` or `https://host:port` (then `secure`).
    static func parse(_ address: String) -> (host: String, port: Int, secure: Bool)? {
        let secure = address.hasPrefix("https://")
        let bare = secure ? String(address.dropFirst("https://".count)) : address.hasPrefix("http://") ? String(address.dropFirst("http://".count)) : address
        return split(bare).map { ($0.0, $0.1, secure) }
    }

    static func split(_ address: String) -> (String, Int)? {
        if address.hasPrefix("["), let close = address.firstIndex(of: "]") {
            let rest = address[address.index(after: close)...]
            guard rest.hasPrefix(":"), let port = Int(rest.dropFirst()), (1...65535).contains(port) else { return nil }
            return (String(address[address.index(after: address.startIndex)..<close]), port)
        }
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]), (1...65535).contains(port) else { return nil }
        let host = String(address[..<colon])
        return host.isEmpty ? nil : (host, port)
    }
}
