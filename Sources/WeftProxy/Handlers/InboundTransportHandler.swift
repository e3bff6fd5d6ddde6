#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOSSL
import NIOTLS
import WeftModel

/// The first handler of an inbound connection: reads the first bytes, and per the port's
/// PeerAuthentication (read from the configuration in force when the connection arrives) puts
/// TLS termination or the plaintext HTTP pipeline behind itself, or resets the connection.
/// Carries out `InboundTransportStateMachine`; once HTTP is served it has left the pipeline.
final class InboundTransportHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let listener: ListenerContext
    private let port: Int
    private let timeout: TimeAmount
    private var machine = InboundTransportStateMachine()
    private var timer: Scheduled<Void>?
    private var detectionTimer: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    init(listener: ListenerContext, port: Int, timeout: TimeAmount) {
        self.listener = listener
        self.port = port
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [weak self] in
            guard let self, let context = self.context else { return }
            self.end(self.machine.timerFired(), peer: nil, context: context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        detectionTimer?.cancel()
        self.context = nil
    }

    /// DISABLE serves at once; where plaintext is let in and the mesh sets a protocol detection
    /// timeout, a client that has sent nothing by then is served as plaintext (a server-first protocol).
    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        let active = listener.configuration.active
        let mode = active.peerAuthentication(port: port)
        if machine.connected(mode: mode) == .serve { return end(.serve, peer: nil, context: context) }
        guard mode != .strict, let milliseconds = active.inboundDetectionTimeoutMs(port: port), milliseconds > 0 else { return }
        detectionTimer = context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(milliseconds))) { [weak self] in
            guard let self, let context = self.context else { return }
            let action = self.machine.detectionTimedOut(mode: mode)
            if action == .serve { self.listener.stats.increment("protocol_detection_timeout") }
            self.end(action, peer: nil, context: context)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return }
        let contexts = listener.certificates?.contexts
        let mode = listener.configuration.active.peerAuthentication(port: port)
        switch machine.firstBytes(tls: InboundTransportStateMachine.looksLikeTLS(firstByte: first), mode: mode, haveCertificate: contexts != nil) {
        case .none:
            context.fireChannelRead(data)
        case .startTLS:
            guard let contexts else { return }
            do {
                let operations = context.pipeline.syncOperations
                let handshake = InboundHandshakeHandler(machine: machine, listener: listener, timer: timer)
                timer = nil
                try operations.addHandler(handshake, position: .after(self))
                try operations.addHandler(NIOSSLServerHandler(context: contexts.server), position: .after(self))
                context.fireChannelRead(data)
                operations.removeHandler(context: context, promise: nil)
            } catch {
                refuse(stat: "ssl.connection_error", context: context)
            }
        case .servePlaintext:
            end(.serve, peer: nil, context: context, passing: data)
        case .refuse(let stat):
            refuse(stat: stat, context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        machine.closed()
        context.fireChannelInactive()
    }

    /// `data`: the first bytes, passed on to the HTTP pipeline before this handler leaves.
    private func end(_ action: InboundTransportStateMachine.EndAction, peer: ConnectionPeer?, context: ChannelHandlerContext, passing data: NIOAny? = nil) {
        switch action {
        case .none:
            break
        case .serve:
            timer?.cancel()
            timer = nil
            ProxyConnectionPipeline.serve(after: self, context: context, listener: listener, peer: peer, passing: data)
        case .close(let stat):
            refuse(stat: stat, context: context)
        }
    }

    /// Counts and resets: an RST, as Envoy's refusal gives (curl reports exit 56).
    private func refuse(stat: String, context: ChannelHandlerContext) {
        listener.stats.increment(stat)
        InboundTransportHandler.reset(context)
    }

    static func reset(_ context: ChannelHandlerContext) {
        guard let socket = context.channel as? any SocketOptionProvider else { return context.close(promise: nil) }
        let channel = context.channel
        socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
    }
}

/// Behind the TLS server handler until the handshake ends: a proved peer gets the HTTP pipeline
/// (with its identity, for the steps and `X-Forwarded-Client-Cert`); a failed or stalled
/// handshake closes the connection, counted by reason.
final class InboundHandshakeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private var machine: InboundTransportStateMachine
    private let listener: ListenerContext
    private var timer: Scheduled<Void>?
    /// The protocol ALPN settled on, once the handshake is done.
    private var negotiated: String?

    init(machine: InboundTransportStateMachine, listener: ListenerContext, timer: Scheduled<Void>?) {
        self.machine = machine
        self.listener = listener
        self.timer = timer
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // The first-bytes timer belonged to the handler that left; the handshake gets its own.
        timer?.cancel()
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: listener.tlsHandshakeTimeout) {
            let (handler, context) = loopBound.value
            handler.end(handler.machine.timerFired(), peer: nil, context: context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard case TLSUserEvent.handshakeCompleted(let negotiated) = event else { return context.fireUserInboundEventTriggered(event) }
        self.negotiated = negotiated
        if let negotiated { listener.stats.increment("ssl.alpn." + negotiated) }
        let certificate = (try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self))?.peerCertificate.flatMap(PeerCertificate.init)
        let local = listener.certificates?.certificate?.identity.uri ?? ""
        end(machine.handshakeCompleted(peerPresented: certificate != nil), peer: certificate.map { ConnectionPeer(certificate: $0, localIdentity: local) }, context: context)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        end(machine.handshakeFailed(reason: "\(error)"), peer: nil, context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        machine.closed()
        context.fireChannelInactive()
    }

    private func end(_ action: InboundTransportStateMachine.EndAction, peer: ConnectionPeer?, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .serve:
            timer?.cancel()
            timer = nil
            listener.stats.increment("ssl.handshake")
            ProxyConnectionPipeline.serve(after: self, context: context, listener: listener, peer: peer, negotiated: negotiated)
        case .close(let stat):
            timer?.cancel()
            timer = nil
            listener.stats.increment(stat)
            context.close(promise: nil)
        }
    }
}

/// Who is on the other end of a mutual TLS connection, and who this side is.
struct ConnectionPeer: Sendable {
    var certificate: PeerCertificate
    /// This workload's own SPIFFE identity (`By=` of `X-Forwarded-Client-Cert`).
    var localIdentity: String
    /// The peer's identity without `spiffe://`, made once per connection for every request's policies.
    let principal: String
    /// At a gateway: the client's certificate as its `X-Forwarded-Client-Cert` element describes it
    /// (`ClientCertificateDetails`); nil on a sidecar's inbound, whose element is shorter.
    var gatewayElement: String?

    init(certificate: PeerCertificate, localIdentity: String, gatewayElement: String? = nil) {
        self.certificate = certificate
        self.localIdentity = localIdentity
        self.gatewayElement = gatewayElement
        let identity = certificate.identity
        principal = identity.hasPrefix("spiffe://") ? String(identity.dropFirst("spiffe://".count)) : identity
    }
}
