import NIOCore
import NIOHTTP1

/// An HTTP/2 stream's request parts (from NIO's HTTP/2 ↔ HTTP/1 codec) as the proxy's: the head's
/// fields written out as bytes once, so the exchange reads one kind of head whatever the protocol.
final class DownstreamStreamHeads: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = ProxyRequestPart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): context.fireChannelRead(wrapInboundOut(.head(ProxyRequestHead(head))))
        case .body(let body): context.fireChannelRead(wrapInboundOut(.body(body)))
        case .end(let trailers): context.fireChannelRead(wrapInboundOut(.end(trailers)))
        }
    }
}

/// Requests to an HTTP/2 upstream's stream, in NIO's types for its HTTP/2 ↔ HTTP/1 codec.
final class UpstreamStreamHeads: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = UpstreamRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head): context.write(wrapOutboundOut(.head(head.nioHead)), promise: promise)
        case .body(let body): context.write(wrapOutboundOut(.body(body)), promise: promise)
        case .end(let trailers): context.write(wrapOutboundOut(.end(trailers)), promise: promise)
        }
    }
}
