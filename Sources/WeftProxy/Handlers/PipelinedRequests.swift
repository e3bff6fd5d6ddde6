import NIOCore
import NIOHTTP1

/// HTTP/1.1 pipelining without NIO's HTTPServerPipelineHandler, which stops and restarts reading
/// around every request (two epoll_ctl calls per request per connection). Here reads go on; only a
/// client that really pipelines has its later requests held, with reads paused, until the current
/// exchange is over, then handled in order.
extension ProxyServerHandler {
    /// Whether `part` belongs to a later request than the one in flight; then it waits.
    func holdIfPipelined(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) -> Bool {
        switch state {
        case .closed, .tunnelling: return false
        case .idle where pipelined.isEmpty: return false
        default: break
        }
        guard !pipelined.isEmpty || !requestOpen else { return false }
        if pipelined.isEmpty { context.channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in } }
        pipelined.append(part)
        return true
    }

    /// The exchange is over: the held requests are handled, in order, on the next loop turn.
    func resumePipelined() {
        guard let context else { return }
        context.eventLoop.assumeIsolated().execute { [weak self] in
            guard let self, let context = self.context, case .idle = self.state else { return }
            let held = self.pipelined
            self.pipelined = []
            for part in held { self.handle(part, context: context) }
            // Handled outside a read: flush what went upstream, as channelReadComplete would.
            if case .proxying(_, let upstream) = self.state { upstream.flush() }
            if self.pipelined.isEmpty {
                context.channel.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
                context.read()
            }
        }
    }
}
