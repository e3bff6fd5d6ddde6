import NIOCore
import NIOHTTP1

/// Sits on an upstream connection and hands response parts to the downstream request that owns
/// the connection at the moment; an idle connection has no owner.
final class UpstreamHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    static let name = "weft.upstream"

    /// Receives what happens on the upstream connection.
    protocol Owner: AnyObject {
        func upstreamReceived(_ part: HTTPClientResponsePart)
        /// The end of one read from the upstream: time to flush what was written downstream.
        func upstreamReadComplete()
        func upstreamClosed()
        /// The upstream sent something that is not HTTP/1.1; the connection closes next.
        func upstreamProtocolError()
        func upstreamWritabilityChanged(_ writable: Bool)
    }

    weak var owner: (any Owner)?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        owner?.upstreamReceived(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        owner?.upstreamReadComplete()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        let owner = self.owner
        self.owner = nil
        owner?.upstreamClosed()
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        owner?.upstreamWritabilityChanged(context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is HTTPParserError {
            let owner = self.owner
            self.owner = nil
            owner?.upstreamProtocolError()
        }
        context.close(promise: nil)
    }
}
