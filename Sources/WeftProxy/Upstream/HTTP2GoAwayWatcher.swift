import NIOCore
import NIOHTTP2

/// On an upstream HTTP/2 connection, behind NIO's handler (which passes the root stream's frames
/// on): a GOAWAY from the server means no new stream may start there, so the pool stops handing
/// the connection out and the next request opens another, as Envoy drains a connection that got
/// GOAWAY (`upstream_cx_close_notify`). Streams already open finish; those the server refuses are
/// retried where the route allows `refused-stream`.
final class HTTP2GoAwayWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame

    /// Called once, on the first GOAWAY.
    var draining: (() -> Void)?
    private(set) var received = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .goAway = unwrapInboundIn(data).payload, !received {
            received = true
            draining?()
            draining = nil
        }
        context.fireChannelRead(data)
    }
}
