import NIOCore

/// Behind the HTTP/2 connection handler: counts the errors it reports, and drains begun. NIO has already answered a
/// connection error with GOAWAY (e.g. ENHANCE_YOUR_CALM for a flood or rapid reset) and a stream
/// error with RST_STREAM on that stream alone, so nothing is closed here: closing on every error
/// took down every stream of a connection for one stream's error.
final class HTTP2ConnectionErrors: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = Never
    private let stats: ProxyStats

    init(stats: ProxyStats) {
        self.stats = stats
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The connection manager ahead has begun its GOAWAY sequence.
        if event is ChannelShouldQuiesceEvent { stats.increment("downstream_cx_drain_close") }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A peer's reset or EOF is not its protocol error.
        if !(error is IOError || error is ChannelError) { stats.increment("downstream_cx_protocol_error") }
        context.fireErrorCaught(error)
    }
}
