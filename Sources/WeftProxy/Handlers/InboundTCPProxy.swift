import NIOCore
import NIOPosix

/// An inbound port whose Service port is not HTTP (`tcp-…`, `redis`, `mongo`, `tls`, …): once
/// the transport is settled (mutual TLS terminated, or plaintext as PeerAuthentication allows),
/// the connection's bytes go to the app's port as they are, both ways, with backpressure and
/// half-close, counted in Istio's TCP metrics (reporter destination). A connection the workload's
/// AuthorizationPolicies deny is closed first (`AuthorizeConnection`). A refused app port closes
/// the connection, counted with Envoy's `UF`.
enum InboundTCPProxy {
    /// Puts the splice behind `handler` (the transport step that decided) and takes `handler` out of
    /// the pipeline, `data`, the bytes it read, going on first; connects to the app once the
    /// workload's policies admit the connection (the splice holds what the client sends meanwhile).
    static func serve(after handler: any ChannelHandler & RemovableChannelHandler, context: ChannelHandlerContext, listener: ListenerContext,
                      port: Int, service: String, peer: ConnectionPeer?, passing data: NIOAny?) {
        let downstream = context.channel
        let (downstreamSide, appSide) = SpliceHandler.pair()
        let counter = listener.telemetry.map { telemetry in
            TCPConnectionTelemetry(telemetry: telemetry, series: TCPConnectionTelemetry.inboundSeries(
                own: telemetry, service: service.isEmpty ? "unknown" : service, peerPrincipal: peer?.principal, mutualTLS: peer != nil), eventLoop: context.eventLoop)
        }
        do {
            let operations = context.pipeline.syncOperations
            try operations.addHandler(downstreamSide, position: .after(handler))
            if let counter { try operations.addHandler(counter, position: .after(handler)) }
            if let data { context.fireChannelRead(data) }
            operations.removeHandler(context: context, promise: nil)
        } catch {
            context.close(promise: nil)
            return
        }
        listener.stats.increment("downstream_cx_tcp")
        // A client's half-close reaches the app as one (Redis's and PostgreSQL's clients rarely do, others may).
        downstream.setOption(.allowRemoteHalfClosure, value: true).whenComplete { _ in }
        AuthorizeConnection.admit(downstream, port: port, peer: peer, listener: listener, refused: { downstreamSide.abandon() }) {
            connectApp(downstream, downstreamSide: downstreamSide, appSide: appSide, counter: counter, listener: listener, port: port)
        }
    }

    private static func connectApp(_ downstream: any Channel, downstreamSide: SpliceHandler, appSide: SpliceHandler, counter: TCPConnectionTelemetry?,
                                   listener: ListenerContext, port: Int) {
        let stats = listener.stats
        let cluster = "inbound|\(port)||"
        let loop = downstream.eventLoop
        let joining = NIOLoopBound(appSide, eventLoop: loop)
        var bootstrap = ClientBootstrap(group: loop)
        if let source = listener.pool.value.inboundSourceAddress, let local = try? SocketAddress(ipAddress: source, port: 0) { bootstrap = bootstrap.bind(to: local) }
        bootstrap
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(joining.value) }
            }
            .connect(host: listener.appHost ?? "127.0.0.1", port: listener.configuration.active.inboundAppPort(port))
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .success(let app):
                    stats.increment(cluster: cluster, "upstream_cx_total")
                    // The client left while the app's connection opened.
                    if !downstream.isActive { app.close(promise: nil) }
                case .failure:
                    stats.increment(cluster: cluster, "upstream_cx_connect_fail")
                    counter?.upstreamFailed(flag: "UF")
                    downstreamSide.abandon()
                    downstream.close(promise: nil)
                }
            }
    }
}
