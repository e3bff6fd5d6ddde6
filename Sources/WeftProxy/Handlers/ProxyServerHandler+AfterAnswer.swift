import NIOCore
import WeftModel

/// What an answered exchange leaves on the connection: the next request (the spent head's storage
/// reused, held pipelined requests resumed), a request body still to discard, or the close.
extension ProxyServerHandler {
    /// What an answered exchange leaves behind.
    func carryOut(_ after: Machine.AfterAnswer, context: ChannelHandlerContext) {
        switch after {
        case .discardRequestBody:
            setReading(true)
        case .ready(let resumeHeld):
            lastRequestFields = exchange?.request.attributes.headers
            exchange = nil
            setReading(true)
            if resumeHeld { resumeHeldRequests() }
        case .closeConnection:
            exchange = nil
            context.closeFlushed()
        }
    }

    /// The last request's field storage, for the next head to be read into (reused, not allocated).
    func takeSpareHeaderStorage() -> SpareHeaderStorage? {
        guard var fields = lastRequestFields.take() else { return nil }
        return fields.takeSpareStorage()
    }

    /// HTTP/1.1 pipelining without NIO's HTTPServerPipelineHandler, which stops and restarts
    /// reading around every request: the machine holds a pipelining client's later requests (reads
    /// paused) and they are handled here, in order, on the next loop turn.
    private func resumeHeldRequests() {
        guard let context else { return }
        context.eventLoop.assumeIsolated().execute {
            guard let context = self.context else { return }
            for part in self.machine.takeHeld() { self.handle(part, context: context) }
            // Handled outside a read: flush what went upstream, as channelReadComplete would.
            self.machine.attachedUpstream?.flush(atTickEnd: true)
            self.setReading(true)
        }
    }
}
