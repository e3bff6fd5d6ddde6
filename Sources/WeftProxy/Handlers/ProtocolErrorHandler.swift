import NIOCore
import NIOHTTP1

/// Answers requests the HTTP codec cannot parse as Envoy does, instead of dropping them: 431 when
/// the headers are too large, 400 for anything else malformed; counted, then the connection closes.
final class ProtocolErrorHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let stats: ProxyStats
    /// A response is under way: an error now can only close the connection.
    private var responding = false

    init(stats: ProxyStats) { self.stats = stats }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        stats.increment("downstream_cx_protocol_error")
        if responding {
            context.close(promise: nil)
            return
        }
        let tooLarge = (error as? HTTPParserError) == .headerOverflow
        stats.increment(tooLarge ? "downstream_rq_header_overflow" : "downstream_rq_malformed")
        stats.increment("downstream_rq_4xx")
        let status: HTTPResponseStatus = tooLarge ? .requestHeaderFieldsTooLarge : .badRequest
        let body = tooLarge ? "Request Header Fields Too Large" : "Bad Request"
        var headers = HTTPHeaders()
        headers.add(name: "content-length", value: String(body.utf8.count))
        headers.add(name: "content-type", value: "text/plain")
        headers.add(name: "connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head: responding = true
        case .end: responding = false
        case .body: break
        }
        context.write(data, promise: promise)
    }
}
