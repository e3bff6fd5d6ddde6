import NIOCore
import NIOHTTP1

/// Envoy's `request_headers_timeout`: a client that starts a request and stalls before its headers
/// end gets 408 and the connection closes (counted as `downstream_rq_header_timeout`). The
/// connection's reader (`HTTP1Reader`) tells it when bytes arrive, where the first byte of a
/// request shows; the proxy handler above the codec tells it where heads arrive and responses run.
/// Not a handler of its own: each handler in a pipeline is a hop for every read, read request,
/// write and flush of the connection (~400 instructions a request, measured).
final class RequestHeadersTimeout {
    private let timeout: TimeAmount
    private let stats: ProxyStats
    private var context: ChannelHandlerContext?
    /// One timer at a time, not one per request: it stays armed across requests and, when it fires,
    /// checks the head in progress (if any), answering 408 or re-arming for that head's deadline.
    /// Scheduling and cancelling a task per request was ~2 % of a request's instructions.
    private var timer: Scheduled<Void>?
    /// When the head in progress began (its first bytes); nil between heads.
    private var headStarted: NIODeadline?
    /// Between requests (or before the first): the next bytes start a request's headers.
    var awaitingHead = true
    /// A response is being written: a late 408 would corrupt it.
    var responding = false

    init(timeout: TimeAmount, stats: ProxyStats) {
        self.timeout = timeout
        self.stats = stats
    }

    /// Bytes arrived on the connection whose reader has `context`: between requests they start a head.
    func bytesArrived(context: ChannelHandlerContext) {
        if awaitingHead && headStarted == nil {
            let now = NIODeadline.now()
            headStarted = now
            if self.context == nil { self.context = context }
            if timer == nil { arm(at: now + timeout) }
        }
    }

    /// The connection closed or stopped speaking HTTP (its reader left): no timer stays armed.
    func stop() {
        cancel()
        context = nil
    }

    func headReceived() {
        awaitingHead = false
        headStarted = nil
    }

    private func arm(at deadline: NIODeadline) {
        // Held strongly until it fires or is cancelled (on removal): no weak reference, no side table.
        timer = context?.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { self.fired() }
    }

    private func fired() {
        timer = nil
        guard awaitingHead, let started = headStarted else { return }
        let deadline = started + timeout
        if deadline <= .now() { expired() } else { arm(at: deadline) }
    }

    private func cancel() {
        timer?.cancel()
        timer = nil
        headStarted = nil
    }

    private func expired() {
        guard let context, !responding else { return }
        stats.increment("downstream_rq_header_timeout")
        stats.increment("downstream_rq_4xx")
        let body = "request timeout"
        let response = "HTTP/1.1 408 Request Timeout\r\ncontent-length: \(body.utf8.count)\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n\(body)"
        context.writeAndFlush(NIOAny(ByteBuffer(string: response))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }
}
