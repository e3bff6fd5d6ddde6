import Logging
import NIOCore
import NIOSSL
import SwiftProtobuf
import WeftModel
import WeftTelemetry

/// The span exporter's state on its loop: a kept connection per collector (HTTP/1.1 for Zipkin and
/// OTLP over HTTP, a gRPC client for OTLP over gRPC), and the spans that wait for the batch already
/// on its way to that collector to end.
final class SpanReporter {
    let exporter: SpanExporterService
    private var connections: [SpanCollector: CollectorConnection] = [:]
    private var grpcClients: [SpanCollector: OTLPGRPCExporter] = [:]
    private var grpcInFlight: [SpanCollector: EventLoopFuture<Void>] = [:]
    private var waiting: [SpanCollector: [ZipkinSpan]] = [:]
    private var waitingCount = 0

    init(_ exporter: SpanExporterService) {
        self.exporter = exporter
    }

    var eventLoop: any EventLoop { exporter.eventLoop }
    var stats: ProxyStats { exporter.queue.stats }

    /// Connections dialled so far, by collector address (tests: a kept connection is dialled once).
    var dials: [String: Int] { Dictionary(connections.map { ($0.key.address, $0.value.dials) }, uniquingKeysWith: +) }

    /// Posts what is queued, a batch per collector; completes once those batches have ended.
    @discardableResult
    func flush() -> EventLoopFuture<Void> {
        var batches = waiting
        waiting = [:]
        waitingCount = 0
        for item in exporter.queue.takeAll() { batches[item.collector, default: []].append(item.span) }
        var posts: [EventLoopFuture<Void>] = []
        for (collector, spans) in batches.sorted(by: { $0.key.address < $1.key.address }) {
            if connections[collector]?.isBusy == true || grpcInFlight[collector] != nil { hold(spans, for: collector) } else { posts.append(post(spans, to: collector)) }
        }
        return EventLoopFuture.andAllComplete(posts, on: eventLoop)
    }

    /// Once the batches on their way have ended, posts the rest (the exporter stops after this).
    func flushWhenIdle() -> EventLoopFuture<Void> {
        let busy = connections.values.compactMap(\.answer) + Array(grpcInFlight.values)
        return EventLoopFuture.andAllComplete(busy, on: eventLoop).assumeIsolated().flatMap { [self] in flush() }.nonisolated()
    }

    /// Closes every collector connection; the gRPC clients, which end asynchronously, are handed
    /// back for the caller to await (`OTLPGRPCExporter.shutdown`) before the loop goes.
    func close() -> [OTLPGRPCExporter] {
        for connection in connections.values { connection.close() }
        defer { grpcClients = [:] }
        return Array(grpcClients.values)
    }

    private func hold(_ spans: [ZipkinSpan], for collector: SpanCollector) {
        let room = max(0, SpanQueue.maximumQueued - waitingCount)
        waiting[collector, default: []] += spans.prefix(room)
        waitingCount += min(room, spans.count)
        if spans.count > room { stats.increment(collector.stat("spans_dropped"), by: spans.count - room) }
    }

    private func post(_ spans: [ZipkinSpan], to collector: SpanCollector) -> EventLoopFuture<Void> {
        let stats = self.stats
        guard let (host, port, secure) = CollectorAddress.parse(collector.address) else {
            stats.increment(collector.stat("reports_skipped_no_cluster"))
            stats.increment(collector.stat("spans_dropped"), by: spans.count)
            return eventLoop.makeSucceededVoidFuture()
        }
        let tls = secure ? exporter.certificates?.contexts?.collector : nil
        if secure && tls == nil {
            // No workload certificate yet, so no mesh root to check the collector against.
            stats.increment(collector.stat("reports_failed"))
            stats.increment(collector.stat("spans_dropped"), by: spans.count)
            return eventLoop.makeSucceededVoidFuture()
        }
        let sent: EventLoopFuture<CollectorConnection.Outcome>
        switch collector.protocol {
        case .zipkin:
            sent = postHTTP(ByteBuffer(bytes: ZipkinSpan.listJSON(spans)), to: collector, host: host, port: port, tls: tls, request: .zipkin)
        case .otlpHTTP:
            let request = CollectorConnection.Request(path: collector.path, contentType: "application/x-protobuf",
                                                      headers: collector.headers.map { ($0.name, $0.value) })
            sent = postHTTP(ByteBuffer(bytes: Self.encoded(spans, for: collector)), to: collector, host: host, port: port, tls: tls, request: request)
        case .otlpGRPC:
            sent = exportGRPC(spans, to: collector, host: host, port: port)
        }
        let logger = exporter.logger
        return sent.map { outcome in
            switch outcome {
            case .accepted:
                stats.increment(collector.stat("reports_sent"))
                stats.increment(collector.stat("spans_sent"), by: spans.count)
            case .refused(let status):
                stats.increment(collector.stat("reports_dropped"))
                stats.increment(collector.stat("spans_dropped"), by: spans.count)
                logger.debug("trace collector refused spans", metadata: ["address": "\(collector.address)", "status": "\(status)"])
            case .failed(let reason):
                stats.increment(collector.stat("reports_failed"))
                stats.increment(collector.stat("spans_dropped"), by: spans.count)
                logger.debug("trace collector unreachable", metadata: ["address": "\(collector.address)", "error": "\(reason)"])
            }
        }
    }

    /// The collector's host, or one of its endpoints when it names a mesh service (the one dialled
    /// last while it still is one, so a kept connection stays).
    private func dialTarget(host: String, port: Int, current: (host: String, port: Int)?) -> (host: String, port: Int) {
        let dial = SpanExporterService.resolve(host: host, port: port, in: exporter.configuration.active, namespace: exporter.namespace, current: current)
        return (dial?.address ?? host, dial?.port ?? port)
    }

    private func postHTTP(_ body: ByteBuffer, to collector: SpanCollector, host: String, port: Int, tls: NIOSSLContext?,
                          request: CollectorConnection.Request) -> EventLoopFuture<CollectorConnection.Outcome> {
        let connection = connections[collector] ?? CollectorConnection(eventLoop: eventLoop, host: host, port: port, request: request)
        connections[collector] = connection
        let dial = dialTarget(host: host, port: port, current: connection.target.map { (host: $0.host, port: $0.port) })
        let target = CollectorConnection.Target(host: dial.host, port: dial.port, tls: tls)
        return connection.post(body, to: target, timeout: collector.timeoutMs.map { .milliseconds(Int64($0)) } ?? exporter.requestTimeout)
    }

    private func exportGRPC(_ spans: [ZipkinSpan], to collector: SpanCollector, host: String, port: Int) -> EventLoopFuture<CollectorConnection.Outcome> {
        let existing = grpcClients[collector]
        let dial = dialTarget(host: host, port: port, current: existing.map { (host: $0.host, port: $0.port) })
        let client: OTLPGRPCExporter
        if let existing, existing.host == dial.host, existing.port == dial.port {
            client = existing
        } else {
            if let existing { Task { await existing.shutdown() } }
            do {
                client = try OTLPGRPCExporter(host: dial.host, port: dial.port, eventLoop: eventLoop)
            } catch {
                grpcClients[collector] = nil
                return eventLoop.makeSucceededFuture(.failed("\(error)"))
            }
            grpcClients[collector] = client
        }
        let request = OTLPSpans.request(spans, environmentResource: collector.environmentResource)
        let timeout = Duration.milliseconds(collector.timeoutMs ?? Int(exporter.requestTimeout.nanoseconds / 1_000_000))
        let promise = eventLoop.makePromise(of: CollectorConnection.Outcome.self)
        promise.completeWithTask { await client.export(request, headers: collector.headers, timeout: timeout) }
        let ended = promise.futureResult.map { _ in }
        grpcInFlight[collector] = ended
        ended.assumeIsolated().whenComplete { [self] _ in grpcInFlight[collector] = nil }
        return promise.futureResult
    }

    /// An OTLP export request's protobuf bytes.
    static func encoded(_ spans: [ZipkinSpan], for collector: SpanCollector) -> [UInt8] {
        (try? OTLPSpans.request(spans, environmentResource: collector.environmentResource).serializedBytes()) ?? []
    }
}
