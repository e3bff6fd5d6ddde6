import NIOCore

/// Runs one of the proxy's HTTP/1.1 decoders over a connection's bytes: NIO's `ByteToMessageHandler`
/// as these two decoders need it, without its generics. Unspecialised across the module boundary,
/// NIO's handler cost ~4k instructions per request on each side (metadata lookups, value witnesses,
/// swapping the decoder in and out) around the decoding itself.
/// What it keeps of NIO's handler: bytes of a head split over reads wait for the rest; a read that
/// arrives while a decode runs (re-entrantly) is decoded by the loop under way; after an error the
/// error goes once to the handler the parts are for (or down the pipeline) and later bytes are dropped; at EOF (`channelInactive`, or
/// `inputClosed` with half-closure) the decoder's `decodeLast` runs with what is left; a removal
/// waits a loop turn, then the decoder forwards its leftovers (a switch of protocols) and leaves.
/// The handler its decoder hands parts to (`events`) is not in the pipeline: it gets the
/// connection's events from here, with this handler's context, as direct calls. A handler behind
/// it was a hop for every read, read request, write and flush (~400 instructions a request).
final class HTTP1Reader: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// One of the two is set: requests on a downstream connection, responses on an upstream one.
    private var requests: HTTP1RequestDecoder?
    private var responses: HTTP1ResponseDecoder?
    /// Bytes read and not yet decoded; nil when none.
    private var pending: ByteBuffer?
    private var decoding = false
    /// The last decode ran (EOF, removal) or decoding failed: nothing more is decoded.
    private var finished = false
    /// EOF or a removal came during a decode: the last decode runs after it.
    private var lastDeferred = false
    private var seenEOF = false
    private var removing = false
    /// Requests only: the headers timeout, told when bytes arrive and stopped when this leaves.
    private let headersTimeout: RequestHeadersTimeout?
    /// The handler the parts are for, given the connection's events (nil: they go down the pipeline).
    private(set) var events: (any _ChannelInboundHandler)?
    private var context: ChannelHandlerContext?

    init(_ decoder: HTTP1RequestDecoder, headersTimeout: RequestHeadersTimeout? = nil, events: (any _ChannelInboundHandler)? = nil) {
        requests = decoder
        self.headersTimeout = headersTimeout
        self.events = events
    }

    init(_ decoder: HTTP1ResponseDecoder, events: (any _ChannelInboundHandler)? = nil) {
        responses = decoder
        headersTimeout = nil
        self.events = events
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        events?.handlerAdded(context: context)
    }

    /// The decoders hold their receivers strongly: let go of them here.
    func handlerRemoved(context: ChannelHandlerContext) {
        headersTimeout?.stop()
        detachEvents()
        requests = nil
        responses = nil
        self.context = nil
    }

    /// The handler the parts were for leaves (the connection stops speaking HTTP): removed, as it
    /// was from the pipeline; what comes after goes down the pipeline.
    func detachEvents() {
        guard let events, let context else { return }
        self.events = nil
        events.handlerRemoved(context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        headersTimeout?.bytesArrived(context: context)
        guard !finished else { return }
        var bytes = unwrapInboundIn(data)
        if pending == nil { pending = bytes } else { pending?.writeBuffer(&bytes) }
        guard !decoding, !removing else { return }
        decoding = true
        do {
            try decodeAvailable(context: context)
        } catch {
            fail(error, context: context)
        }
        decoding = false
        if lastDeferred {
            lastDeferred = false
            decodeLast(context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        headersTimeout?.stop()
        seenEOF = true
        decodeLast(context: context)
        if let events { events.channelInactive(context: context) } else { context.fireChannelInactive() }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event as? ChannelEvent == .inputClosed {
            seenEOF = true
            decodeLast(context: context)
        }
        if let events { events.userInboundEventTriggered(context: context, event: event) } else { context.fireUserInboundEventTriggered(event) }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if let events { events.channelReadComplete(context: context) } else { context.fireChannelReadComplete() }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if let events { events.channelWritabilityChanged(context: context) } else { context.fireChannelWritabilityChanged() }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let events { events.errorCaught(context: context, error: error) } else { context.fireErrorCaught(error) }
    }

    /// As NIO's handler: removal completes on the next loop turn, after what is being read.
    func removeHandler(context: ChannelHandlerContext, removalToken: ChannelHandlerContext.RemovalToken) {
        removing = true
        context.eventLoop.assumeIsolated().execute {
            self.decodeLast(context: context)
            context.leavePipeline(removalToken: removalToken)
        }
    }

    /// Decodes while the decoder makes progress; what it leaves waits for the next read.
    private func decodeAvailable(context: ChannelHandlerContext) throws {
        while !removing, !finished, var bytes = pending.take() {
            let state = try decode(context: context, buffer: &bytes)
            // Bytes read meanwhile (a re-entrant read) go after what is left, and are decoded next.
            var arrived = false
            if var later = pending.take() {
                bytes.writeBuffer(&later)
                arrived = true
            }
            if bytes.readableBytes > 0 {
                // A head split over many reads: do not let the consumed part grow without bound.
                if bytes.readerIndex > 4096 && bytes.readerIndex > bytes.capacity / 2 { bytes.discardReadBytes() }
                pending = bytes
            }
            if state == .needMoreData && !arrived { return }
        }
    }

    private func decodeLast(context: ChannelHandlerContext) {
        guard !finished else { return }
        guard !decoding else {
            lastDeferred = true
            return
        }
        finished = true
        var bytes = pending.take() ?? ByteBuffer()
        decoding = true
        do {
            while try decodeLast(context: context, buffer: &bytes) == .continue {}
        } catch {
            errorCaught(context: context, error: error)
        }
        decoding = false
    }

    private func fail(_ error: any Error, context: ChannelHandlerContext) {
        finished = true
        pending = nil
        errorCaught(context: context, error: error)
    }

    private func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if let state = try requests?.decode(context: context, buffer: &buffer) { return state }
        return try responses?.decode(context: context, buffer: &buffer) ?? .needMoreData
    }

    private func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if let state = try requests?.decodeLast(context: context, buffer: &buffer, seenEOF: seenEOF) { return state }
        return try responses?.decodeLast(context: context, buffer: &buffer, seenEOF: seenEOF) ?? .needMoreData
    }
}
