import NIOCore
import NIOHTTP1
import NIOHTTP2
import WeftModel

/// Sits on an upstream connection: the exchange that leases it writes through it and receives
/// its response parts; when the exchange is over the connection's state machine says whether it
/// goes back to the pool. An idle connection has no owner, and a response it sends is refused.
final class UpstreamHandler: ChannelInboundHandler, RemovableChannelHandler, HTTP1ResponseReceiver {
    typealias InboundIn = ProxyResponsePart
    typealias OutboundOut = UpstreamRequestPart

    /// An HTTP/1.1 upstream connection's handler: the response reader, which hands its parts and
    /// the connection's events to the handler directly (the handler is not in the pipeline, see
    /// `HTTP1Reader`); the handler writes requests as bytes (no part goes through the pipeline, see
    /// `HTTP1ResponseReceiver`). The reader's bytes read past a 101 go on, on its removal, to the
    /// splice that takes over.
    static func addHTTP1(to pipeline: ChannelPipeline.SynchronousOperations) throws -> UpstreamHandler {
        let methods = UpstreamRequestMethods()
        let handler = UpstreamHandler(encoder: HTTP1RequestEncoder(methods: methods))
        try pipeline.addHandler(HTTP1Reader(HTTP1ResponseDecoder(methods: methods, receiver: handler), events: handler))
        return handler
    }

    /// The connection's handler: an HTTP/1.1 connection's is behind its reader, an HTTP/2
    /// stream's in its pipeline.
    static func of(_ pipeline: ChannelPipeline.SynchronousOperations) -> UpstreamHandler? {
        if let reader = try? pipeline.handler(type: HTTP1Reader.self), let handler = reader.events as? UpstreamHandler { return handler }
        return try? pipeline.handler(type: UpstreamHandler.self)
    }

    /// Receives what happens on the upstream connection.
    protocol Owner: AnyObject {
        func upstreamReceived(_ part: consuming ProxyResponsePart)
        /// The end of one read from the upstream: time to flush what was written downstream.
        func upstreamReadComplete()
        /// The connection (or stream) closed; `refused`: an HTTP/2 server refused the stream unprocessed.
        func upstreamClosed(refused: Bool)
        /// The upstream sent something that is not HTTP/1.1; the connection closes next.
        func upstreamProtocolError()
        func upstreamWritabilityChanged(_ writable: Bool)
    }

    /// Strong, and let go of when the exchange ends (finish, abandon, close): a weak reference would
    /// give every proxy handler a side table, making all its retains and releases slow.
    private var owner: (any Owner)?
    private var machine = UpstreamConnectionStateMachine()
    private var context: ChannelHandlerContext?
    /// Reads are paused for backpressure (each change of autoRead is a syscall; only real changes are made).
    private var readsPaused = false
    /// Where a finished keep-alive connection goes back to (set by the pool that opened it).
    weak var pool: UpstreamConnectionPool?
    /// The SAN the server's certificate proved (mutual TLS), nil over plaintext.
    var peerIdentity: String?
    var host = ""
    var port = 0
    /// The pool's key for it: its cluster, the endpoint and, for TLS, the server name (`UpstreamTransport.poolKey`).
    var poolKey = UpstreamPoolKey(cluster: "", host: "", port: 0, security: .plaintext, serverName: "")
    /// What the pool that opened it keeps of it (kept here, not in a table of the pool's: every
    /// release and reuse read it); nil once closed.
    var pooled: PooledConnection?
    /// The pool's idle list for its endpoint, once it has been in it (see `UpstreamConnectionPool.keepIdle`).
    var idleList: IdleConnections?
    /// While idle in the pool: the pool's sweep clock when it went idle (`IdleSweepClock.stamp`).
    var idleSince: Int64 = 0
    /// One stream of an HTTP/2 connection: done when its exchange is, never pooled, and not closed
    /// by hand once finished (closing an open stream sends RST_STREAM, and a server counts those).
    var isStream = false
    /// The stream was refused by the server (REFUSED_STREAM): nothing of its request was processed.
    private var refused = false
    /// HTTP/1.1: requests are written as bytes here; nil on an HTTP/2 stream (its codec takes the parts).
    private var encoder: HTTP1RequestEncoder?
    /// Something was written since the last flush.
    private var unflushed = false
    /// This loop's end-of-tick flushes (looked up once: the handler stays on its loop).
    private lazy var flushes = TickFlushes.current
    /// HTTP/1.1: what the encoder gathered since the last flush, written at the flush as one buffer.
    private var outbound = OutboundBytes()
    /// The channel's allocator, read once (each read through the channel is a protocol witness call).
    private var allocator = ByteBufferAllocator()

    init(encoder: HTTP1RequestEncoder? = nil) {
        self.encoder = encoder
    }

    /// The connection, kept while the handler is on it: read through the context each time, it
    /// was an unowned reference loaded strong (~45 instructions; the pool reads it on every lease and release).
    private(set) var channel: (any Channel)?
    /// `ip:port` of this end of the connection, for access logs: read once (each read takes the channel's lock).
    lazy var localAddressText: String? = context?.channel.localAddress?.accessLogText
    var isWritable: Bool { channel?.isWritable ?? false }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        channel = context.channel
        allocator = context.channel.allocator
    }
    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        channel = nil
    }

    /// An exchange takes the connection.
    func lease(to owner: any Owner) {
        self.owner = owner
        machine.leased()
    }

    /// Writes a request part (flushed when asked or by `flush()`).
    func write(_ part: UpstreamRequestPart, flush: Bool = false) {
        guard let context else { return }
        if case .end = part { machine.requestEnded() }
        if encoder == nil {
            context.write(wrapOutboundOut(part), promise: nil)
        } else {
            encoder?.encode(part, allocator: allocator, into: &outbound) { context.write(NIOAny($0), promise: nil) }
        }
        unflushed = true
        if flush { self.flush() }
    }

    /// Writes a request's head: an HTTP/1.1 connection's encoder reads it where it is (the
    /// exchange keeps it for a retry); an HTTP/2 stream's codec gets it as a part.
    func writeHead(_ head: ProxyRequestHead) {
        guard let context else { return }
        if encoder == nil {
            context.write(wrapOutboundOut(.head(head)), promise: nil)
        } else {
            encoder?.encodeHead(head, allocator: allocator, into: &outbound)
        }
        unflushed = true
    }

    /// Flushes what was written since the last flush, now or `atTickEnd` (`TickFlushes`: what the
    /// forwarding of a request asks for). A flush with nothing to write still costs a pass through
    /// the channel: the end of each read asks for one.
    func flush(atTickEnd: Bool = false) {
        guard unflushed, let context else { return }
        unflushed = false
        if atTickEnd {
            context.flushAtTickEnd(gathered: &outbound, flushes: flushes)
        } else {
            context.flushNow(gathered: &outbound)
        }
    }

    /// Stops or resumes reading the response (the downstream side cannot take more, or can again).
    func setReading(_ reading: Bool) {
        guard readsPaused == reading, let context else { return }
        readsPaused = !reading
        context.channel.setOption(ChannelOptions.autoRead, value: reading).whenComplete { _ in }
        // An HTTP/2 stream asks for no read when autoRead comes back on: ask, or its frames stay held
        // (and its window closed) for good.
        if reading && isStream { context.read() }
    }

    /// The owner delivered the response's end: the connection is released or closed.
    func finish() {
        owner = nil
        // A stream whose answer ended closes itself once its request's end is out; closing it by
        // hand would send RST_STREAM, and a server counts those (rapid-reset protection).
        if isStream { return }
        carryOut(machine.exchangeFinished())
    }

    /// The owner gives the exchange up before it ended (a timeout, a retry, a downstream close).
    func abandon() {
        owner = nil
        carryOut(machine.abandon())
    }

    /// An HTTP/2 stream's response parts come down the pipeline.
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        received(unwrapInboundIn(data))
    }

    /// The storage of the last response head its owner forwarded, for the next head read here.
    var spareHeaderStorage: SpareHeaderStorage?

    func takeSpareHeaderStorage() -> SpareHeaderStorage? { spareHeaderStorage.take() }

    /// HTTP/1.1: the connection's decoder hands the response's head over directly, during its read.
    func receivedHead(_ head: consuming ProxyResponseHead, keepAlive: Bool) {
        let action = machine.responseHead(keepAlive: keepAlive)
        if case .deliver = action { owner?.upstreamReceived(.head(consume head)) } else { carryOut(action) }
    }

    /// HTTP/1.1: the connection's decoder hands each response part after the head over directly,
    /// during its read; an HTTP/2 stream's parts, the head too, come through `channelRead`.
    func received(_ part: consuming ProxyResponsePart) {
        let action: UpstreamConnectionStateMachine.Action
        switch part {
        case .head(let head): action = machine.responseHead(keepAlive: head.isKeepAlive)
        case .body: action = machine.responseBody()
        case .end: action = machine.responseEnded()
        }
        if case .deliver = action { owner?.upstreamReceived(consume part) } else { carryOut(action) }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        owner?.upstreamReadComplete()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        // Closed while idle (the upstream's keep-alive timeout): out of the pool's list now, not
        // when a take reaches it, so the list holds no closed channels.
        if let list = idleList, let index = list.connections.lastIndex(where: { $0 === self }) {
            list.connections.remove(at: index)
        }
        let owner = self.owner
        self.owner = nil
        if case .notifyClosed = machine.closed() { owner?.upstreamClosed(refused: refused) }
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        owner?.upstreamWritabilityChanged(context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // NIO closes a stream the server reset with this error; REFUSED_STREAM means nothing was processed.
        if let closed = error as? NIOHTTP2Errors.StreamClosed, closed.errorCode == .refusedStream { refused = true }
        if error is HTTPParserError {
            let owner = self.owner
            self.owner = nil
            _ = machine.abandon()
            owner?.upstreamProtocolError()
        }
        context.close(promise: nil)
    }

    private func carryOut(_ action: UpstreamConnectionStateMachine.Action) {
        guard let context else { return }
        switch action {
        case .release:
            setReading(true)
            if let pool { pool.release(self) } else { context.closeFlushed() }
        case .close:
            context.closeFlushed()
        case .none, .deliver, .notifyClosed, .forget:
            break
        }
    }
}

/// An upstream connection as its pool keeps it: its cluster, the cluster's pool policy, the
/// requests it served and when it opened (maxRequestsPerConnection, maxConnectionDuration).
/// A class: each release and reuse reads it, and a struct was copied out whole each time (its
/// cluster's name and the policy's fields retained and released).
final class PooledConnection {
    let cluster: String
    let policy: ConnectionPoolPolicy
    var served = 0
    let opened: NIODeadline

    init(cluster: String, policy: ConnectionPoolPolicy, opened: NIODeadline) {
        self.cluster = cluster
        self.policy = policy
        self.opened = opened
    }
}
