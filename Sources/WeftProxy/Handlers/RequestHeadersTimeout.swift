import NIOCore
import NIOHTTP1

/// Envoy's `request_headers_timeout`: a client that starts a request and stalls before its headers
/// end gets 408 and the connection closes (counted as `downstream_rq_header_timeout`). Sits below
/// the HTTP decoder, where the first byte of a request shows; the proxy handler above the codec
/// tells it where heads arrive and responses run.
final class RequestHeadersTimeout: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let timeout: TimeAmount
    private let stats: ProxyStats
    private var context: ChannelHandlerContext?
    private var timer: Scheduled<Void>?
    /// Between requests (or before the first): the next bytes start a request's headers.
    var awaitingHead = true
    /// A response is being written: a late 408 would corrupt it.
    var responding = false

    init(timeout: TimeAmount, stats: ProxyStats) {
        self.timeout = timeout
        self.stats = stats
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancel()
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if awaitingHead && timer == nil {
            timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [weak self] in self?.expired() }
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancel()
        context.fireChannelInactive()
    }

    func headReceived() {
        awaitingHead = false
        cancel()
    }

    private func cancel() {
        timer?.cancel()
        timer = nil
    }

    private func expired() {
        timer = nil
        guard let context, awaitingHead, !responding else { return }
        stats.increment("downstream_rq_header_timeout")
        stats.increment("downstream_rq_4xx")
        let body = "request timeout"
        let response = "HTTP/1.1 408 Request Timeout\r\ncontent-length: \(body.utf8.count)\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n\(body)"
        context.writeAndFlush(NIOAny(ByteBuffer(string: response))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }
}
