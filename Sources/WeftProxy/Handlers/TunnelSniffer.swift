import NIOCore

/// What a `CONNECT` tunnel carries, told from its first bytes once the 200 went out (the upstream
/// connection is already open, so a dead endpoint still gets its 503): an HTTP/2 preface (grpcio
/// and most gRPC stacks tunnel through `http_proxy` this way) is served here as HTTP/2 on the
/// outbound listener, so routing, retries, mutual TLS and telemetry apply to each stream, and the
/// opened connection is dropped; anything else is spliced to it as bytes. A server that speaks
/// first (its upstream sends before the client) is spliced at once, so it never waits on the sniff.
final class TunnelSniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let listener: ListenerContext
    private let peer: ConnectionPeer?
    private let counter: TCPConnectionTelemetry?
    private let upstream: any Channel
    private let watcher = UpstreamFirstBytes()
    private var context: ChannelHandlerContext?
    private var held: ByteBuffer?
    private var decided = false

    init(listener: ListenerContext, peer: ConnectionPeer?, upstream: any Channel, counter: TCPConnectionTelemetry?) {
        self.listener = listener
        self.peer = peer
        self.upstream = upstream
        self.counter = counter
        watcher.spoke = { [weak self] in self?.splice() }
    }

    /// Puts the watcher on the upstream connection (before it reads anything).
    func watchUpstream() throws {
        try upstream.pipeline.syncOperations.addHandler(watcher)
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = held.takeJoined(with: unwrapInboundIn(data))
        held = bytes
        switch HTTPVersionSniffer.verdict(bytes) {
        case .undecided: return
        case .http2: serveHTTP2()
        case .http1, .opaque: splice()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !decided { upstream.close(promise: nil) }
        context.fireChannelInactive()
    }

    /// HTTP/2 inside the tunnel: each stream is a request on the outbound listener.
    private func serveHTTP2() {
        guard !decided, let context else { return }
        decided = true
        upstream.close(promise: nil)
        listener.stats.increment("downstream_cx_tunnel_http2")
        do {
            try ProxyConnectionPipeline.configureHTTP2(context.channel, listener: listener, peer: peer, position: .after(self))
        } catch {
            context.close(promise: nil)
            return
        }
        forwardHeld(context)
    }

    /// Bytes: the tunnel is spliced to the connection it opened, counted as TCP.
    private func splice() {
        guard !decided, let context else { return }
        decided = true
        let (downstreamGlue, upstreamGlue) = SpliceHandler.pair()
        do {
            try context.pipeline.syncOperations.addHandlers(counter.map { [$0, downstreamGlue] } ?? [downstreamGlue], position: .after(self))
            try upstream.pipeline.syncOperations.addHandler(upstreamGlue, position: .after(watcher))
        } catch {
            context.close(promise: nil)
            upstream.close(promise: nil)
            return
        }
        listener.stats.increment("downstream_cx_tunnel")
        watcher.release()
        forwardHeld(context)
    }

    private func forwardHeld(_ context: ChannelHandlerContext) {
        if let bytes = held, bytes.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(bytes)) }
        held = nil
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}

/// On a tunnel's upstream connection until the sniff decides: the first bytes the server sends
/// are held and say "splice now"; released into the splice, then it leaves.
final class UpstreamFirstBytes: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    var spoke: (() -> Void)?
    private var context: ChannelHandlerContext?
    private var held: [ByteBuffer] = []
    private var released = false

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !released else { return context.fireChannelRead(data) }
        held.append(unwrapInboundIn(data))
        spoke?()
    }

    /// The splice is in place behind: what was held goes to it, and the watcher leaves.
    func release() {
        released = true
        spoke = nil
        guard let context else { return }
        for bytes in held { context.fireChannelRead(wrapInboundOut(bytes)) }
        held = []
        context.fireChannelReadComplete()
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
