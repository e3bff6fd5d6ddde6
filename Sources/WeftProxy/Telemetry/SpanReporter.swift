import Logging
import NIOCore
import WeftTelemetry

/// The span exporter's state on its loop: a kept connection per collector address, and the spans
/// that wait for the batch already on its way to that collector to end.
final class SpanReporter {
    let exporter: SpanExporterService
    private var connections: [String: CollectorConnection] = [:]
    private var waiting: [String: [ZipkinSpan]] = [:]
    private var waitingCount = 0

    init(_ exporter: SpanExporterService) {
        self.exporter = exporter
    }

    var eventLoop: any EventLoop { exporter.eventLoop }
    var stats: ProxyStats { exporter.queue.stats }

    /// Connections dialled so far, by collector address (tests: a kept connection is dialled once).
    var dials: [String: Int] { connections.mapValues(\.dials) }

    /// Posts what is queued, a batch per collector; completes once those batches have ended.
    @discardableResult
    func flush() -> EventLoopFuture<Void> {
        var batches = waiting
        waiting = [:]
        waitingCount = 0
        for item in exporter.queue.takeAll() { batches[item.address, default: []].append(item.span) }
        var posts: [EventLoopFuture<Void>] = []
        for (address, spans) in batches.sorted(by: { $0.key < $1.key }) {
            if connections[address]?.isBusy == true { hold(spans, for: address) } else { posts.append(post(spans, to: address)) }
        }
        return EventLoopFuture.andAllComplete(posts, on: eventLoop)
    }

    /// Once the batches on their way have ended, posts the rest (the exporter stops after this).
    func flushWhenIdle() -> EventLoopFuture<Void> {
        let busy = connections.values.compactMap(\.answer)
        return EventLoopFuture.andAllComplete(busy, on: eventLoop).assumeIsolated().flatMap { [self] in flush() }.nonisolated()
    }

    /// Closes every collector connection.
    func close() {
        for connection in connections.values { connection.close() }
    }

    private func hold(_ spans: [ZipkinSpan], for address: String) {
        let room = max(0, SpanQueue.maximumQueued - waitingCount)
        waiting[address, default: []] += spans.prefix(room)
        waitingCount += min(room, spans.count)
        if spans.count > room { stats.increment("tracing.zipkin.spans_dropped", by: spans.count - room) }
    }

    private func post(_ spans: [ZipkinSpan], to address: String) -> EventLoopFuture<Void> {
        let stats = self.stats
        guard let (host, port, secure) = CollectorAddress.parse(address) else {
            stats.increment("tracing.zipkin.reports_skipped_no_cluster")
            stats.increment("tracing.zipkin.spans_dropped", by: spans.count)
            return eventLoop.makeSucceededVoidFuture()
        }
        let tls = secure ? exporter.certificates?.contexts?.collector : nil
        if secure && tls == nil {
            // No workload certificate yet, so no mesh root to check the collector against.
            stats.increment("tracing.zipkin.reports_failed")
            stats.increment("tracing.zipkin.spans_dropped", by: spans.count)
            return eventLoop.makeSucceededVoidFuture()
        }
        let connection = connections[address] ?? CollectorConnection(eventLoop: eventLoop, host: host, port: port)
        connections[address] = connection
        let current = connection.target.map { (host: $0.host, port: $0.port) }
        let dial = SpanExporterService.resolve(host: host, port: port, in: exporter.configuration.active, namespace: exporter.namespace, current: current)
        let target = CollectorConnection.Target(host: dial?.address ?? host, port: dial?.port ?? port, tls: tls)
        let body = ByteBuffer(bytes: ZipkinSpan.listJSON(spans))
        let logger = exporter.logger
        return connection.post(body, to: target, timeout: exporter.requestTimeout).map { outcome in
            switch outcome {
            case .accepted:
                stats.increment("tracing.zipkin.reports_sent")
                stats.increment("tracing.zipkin.spans_sent", by: spans.count)
            case .refused(let status):
                stats.increment("tracing.zipkin.reports_dropped")
                stats.increment("tracing.zipkin.spans_dropped", by: spans.count)
                logger.debug("zipkin collector refused spans", metadata: ["address": "\(address)", "status": "\(status)"])
            case .failed(let reason):
                stats.increment("tracing.zipkin.reports_failed")
                stats.increment("tracing.zipkin.spans_dropped", by: spans.count)
                logger.debug("zipkin collector unreachable", metadata: ["address": "\(address)", "error": "\(reason)"])
            }
        }
    }
}
