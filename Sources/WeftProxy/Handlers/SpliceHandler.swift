import NIOCore

/// One side of a byte splice between two channels on the same event loop: what one reads the other
/// writes; a side that cannot write stops the other reading; a close or half-close crosses over.
/// One side may join later (its connection still opening): until then the other reads no more,
/// and what it had already read waits, bounded by that one read.
final class SpliceHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var partner: SpliceHandler?
    private var context: ChannelHandlerContext?
    private var pendingRead = false
    /// Bytes the partner read before this side joined a channel.
    private var waiting: [ByteBuffer] = []
    /// The partner's input closed before this side joined: its output closes once the waiting bytes are written.
    private var closesOutputOnJoin = false

    static func pair() -> (SpliceHandler, SpliceHandler) {
        let first = SpliceHandler(), second = SpliceHandler()
        first.partner = second
        second.partner = first
        return (first, second)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if !waiting.isEmpty {
            for buffer in waiting { context.write(wrapOutboundOut(buffer), promise: nil) }
            waiting = []
            context.flush()
        }
        if closesOutputOnJoin {
            closesOutputOnJoin = false
            context.close(mode: .output, promise: nil)
        }
        partner?.resumeReading()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        partner = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        partner?.partnerWrite(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        partner?.context?.flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        partner?.context?.close(promise: nil)
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, case .inputClosed = event, let partner {
            // A client that sends everything and its FIN at once half-closes before the upstream has joined.
            if let partnerContext = partner.context { partnerContext.close(mode: .output, promise: nil) } else { partner.closesOutputOnJoin = true }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { partner?.resumeReading() }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        // Read only while the partner can take what we read (and once it has joined).
        if let partner, partner.context == nil {
            pendingRead = true
        } else if partner?.context?.channel.isWritable ?? true {
            context.read()
        } else {
            pendingRead = true
        }
    }

    private func partnerWrite(_ buffer: ByteBuffer) {
        guard let context else { return waiting.append(buffer) }
        context.write(wrapOutboundOut(buffer), promise: nil)
    }

    /// The partner's channel will never come: what waited for it goes.
    func abandon() {
        waiting = []
        partner = nil
    }

    private func resumeReading() {
        guard pendingRead, let context else { return }
        pendingRead = false
        context.read()
    }
}
