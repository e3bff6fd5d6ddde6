import NIOCore
import NIOHTTP1

/// An HTTP/2 client's stream in the proxy's types: request parts from NIO's HTTP/2 ↔ HTTP/1 codec
/// become the proxy's (the head's fields written out as bytes once), and the proxy's response
/// parts go back as NIO's, so the exchange reads and writes one kind of head whatever the protocol.
final class DownstreamStreamHeads: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = ProxyRequestPart
    typealias OutboundIn = DownstreamResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): context.fireChannelRead(wrapInboundOut(.head(ProxyRequestHead(head))))
        case .body(let body): context.fireChannelRead(wrapInboundOut(.body(body)))
        case .end(let trailers): context.fireChannelRead(wrapInboundOut(.end(trailers)))
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head): context.write(wrapOutboundOut(.head(head.nioHead)), promise: promise)
        case .body(let body): context.write(wrapOutboundOut(.body(body)), promise: promise)
        case .end(let trailers): context.write(wrapOutboundOut(.end(trailers)), promise: promise)
        }
    }
}

/// An HTTP/2 upstream's stream in the proxy's types: its requests go out as NIO's for the codec,
/// its responses come back as the proxy's.
final class UpstreamStreamHeads: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias InboundOut = ProxyResponsePart
    typealias OutboundIn = UpstreamRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): context.fireChannelRead(wrapInboundOut(.head(ProxyResponseHead(head))))
        case .body(let body): context.fireChannelRead(wrapInboundOut(.body(body)))
        case .end(let trailers): context.fireChannelRead(wrapInboundOut(.end(trailers)))
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head): context.write(wrapOutboundOut(.head(head.nioHead)), promise: promise)
        case .body(let body): context.write(wrapOutboundOut(.body(body)), promise: promise)
        case .end(let trailers): context.write(wrapOutboundOut(.end(trailers)), promise: promise)
        }
    }
}
