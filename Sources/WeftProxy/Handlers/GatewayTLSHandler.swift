import NIOCore
import NIOSSL
import NIOTLS
import WeftModel

/// The first handler of a connection to a gateway port whose servers speak TLS, as Envoy's
/// `tls_inspector` and filter chain match: the ClientHello is held whole, its server name picks
/// the server (exact, then `*.suffix`, then `*`), and then a PASSTHROUGH server's connection goes,
/// unterminated, where its `tls` routes send that name; any other server's TLS is terminated with
/// its certificate and the HTTP pipeline follows. No server for the name, not TLS, or a server
/// whose credential cannot be used: closed, counted.
final class GatewayTLSHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let listener: ListenerContext
    private let contexts: GatewayTLSContexts
    private var held: ByteBuffer?
    private var timer: Scheduled<Void>?

    init(listener: ListenerContext, contexts: GatewayTLSContexts) {
        self.listener = listener
        self.contexts = contexts
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: listener.tlsHandshakeTimeout) { [listener] in
            listener.stats.increment("tls_inspector.read_timeout")
            loopBound.value.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = held.takeJoined(with: unwrapInboundIn(data))
        let serverName: String?
        switch ClientHelloSNI.inspect(bytes, counting: listener.stats) {
        case .incomplete:
            held = bytes
            return
        case .notTLS:
            return refuse(context: context)
        case .clientHello(let name):
            serverName = name
        }
        let config = listener.configuration.active.listener(named: listener.name)
        guard let config, let server = GatewayServerTLS.select(config.serverTLS, serverName: serverName) else { return refuse(context: context) }
        do {
            if server.terminates {
                try terminate(server, context: context)
            } else {
                guard let destinations = TLSInspector.destinations(serverName: serverName, config: config) else { return refuse(context: context) }
                try OutboundTCPProxy.start(after: self, on: context.channel, listener: listener, destinations: destinations)
            }
        } catch {
            // The server has no usable certificate (counted when it was made): closed, as a filter chain still warming.
            return refuse(context: context)
        }
        context.fireChannelRead(wrapInboundOut(bytes))
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    /// TLS with the server's certificate; the handshake's end decides the rest.
    private func terminate(_ server: GatewayServerTLS, context: ChannelHandlerContext) throws {
        let ssl: NIOSSLContext
        switch contexts.context(for: server, listener: listener.name, mesh: listener.certificates?.contexts, stats: listener.stats) {
        case .success(let made): ssl = made
        case .failure(let unusable): throw unusable
        }
        var https = listener
        https.scheme = "https"
        let operations = context.pipeline.syncOperations
        try operations.addHandler(GatewayHandshakeHandler(listener: https, server: server), position: .after(self))
        try operations.addHandler(NIOSSLServerHandler(context: ssl), position: .after(self))
    }

    func channelInactive(context: ChannelHandlerContext) {
        held = nil
        context.fireChannelInactive()
    }

    /// No filter chain takes the connection: Envoy closes it, counted.
    private func refuse(context: ChannelHandlerContext) {
        held = nil
        listener.stats.increment("listener.\(listener.name).no_filter_chain_match")
        context.close(promise: nil)
    }
}

/// Behind the gateway's TLS handler until the handshake ends: MUTUAL's client certificate is
/// checked against the server's `subjectAltNames`, `verifyCertificateSpki` and
/// `verifyCertificateHash`, then the HTTP pipeline takes the connection (HTTP/2 where ALPN chose
/// `h2`). A failed or stalled handshake closes it, counted as Envoy counts it.
final class GatewayHandshakeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let listener: ListenerContext
    private let server: GatewayServerTLS
    private var timer: Scheduled<Void>?
    private var done = false

    init(listener: ListenerContext, server: GatewayServerTLS) {
        self.listener = listener
        self.server = server
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: listener.tlsHandshakeTimeout) {
            let (handler, context) = loopBound.value
            handler.fail("ssl.handshake_timeout", context: context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard case TLSUserEvent.handshakeCompleted(let negotiated) = event, !done else { return context.fireUserInboundEventTriggered(event) }
        let presented = (try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self))?.peerCertificate
        if let failure = ClientCertificateCheck.failure(presented, server: server) { return fail(failure, context: context) }
        done = true
        timer?.cancel()
        let stats = listener.stats
        stats.increment("ssl.handshake")
        if let negotiated { stats.increment("ssl.alpn." + negotiated) }
        if presented != nil { stats.increment("ssl.client_certificate") }
        // A client that proved a certificate (MUTUAL, ISTIO_MUTUAL, OPTIONAL_MUTUAL with one): its
        // identity for policies and its X-Forwarded-Client-Cert element (`By=`: the mesh identity
        // the gateway answers ISTIO_MUTUAL with; a credential's certificate carries no URI name of ours).
        var peer: ConnectionPeer?
        if let presented, let certificate = PeerCertificate(presented) {
            let own = server.mode == .istioMutual ? listener.certificates?.certificate?.identity.uri : nil
            peer = ConnectionPeer(certificate: certificate, localIdentity: own ?? "",
                                  gatewayElement: ClientCertificateDetails.element(of: presented, by: own))
        }
        // A TLS server (not HTTPS) that terminates carries what is inside by its tcp routes.
        if let config = listener.configuration.active.listener(named: listener.name), config.protocolName.uppercased() == "TLS" {
            do {
                try OutboundTCPProxy.start(after: self, on: context.channel, listener: listener, destinations: config.tcpDestinations)
                context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            } catch {
                fail("ssl.connection_error", context: context)
            }
            return
        }
        ProxyConnectionPipeline.serve(after: self, context: context, listener: listener, peer: peer, negotiated: negotiated)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard !done else { return context.fireErrorCaught(error) }
        let text = "\(error)"
        if text.contains("PEER_DID_NOT_RETURN_A_CERTIFICATE") || text.contains("CERTIFICATE_REQUIRED") {
            fail("ssl.fail_verify_no_cert", context: context)
        } else if text.contains("CERTIFICATE_VERIFY_FAILED") {
            fail("ssl.fail_verify_error", context: context)
        } else {
            fail("ssl.connection_error", context: context)
        }
    }

    private func fail(_ stat: String, context: ChannelHandlerContext) {
        guard !done else { return }
        done = true
        timer?.cancel()
        listener.stats.increment(stat)
        context.close(promise: nil)
    }
}
