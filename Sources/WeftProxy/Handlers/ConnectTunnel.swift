import NIOCore
import NIOHTTP1
import WeftModel

/// `CONNECT host:port` on the outbound proxy: the request is routed like any other (authority and
/// port), a connection to the chosen endpoint opens (mutual TLS to a sidecar), then the downstream
/// connection stops speaking HTTP/1.1: what it carries is served as HTTP/2 or spliced as bytes.
enum ConnectTunnel {
    /// The answer that opens a tunnel; bytes, written once the HTTP encoder has left.
    static let established = ByteBuffer(string: "HTTP/1.1 200 Connection established\r\n\r\n")

    /// Replaces the HTTP handlers of `downstream` with a sniff of what the tunnel carries
    /// (`TunnelSniffer`: HTTP/2 served here, anything else spliced to `upstream`), then says 200.
    static func open(downstream: any Channel, upstream: any Channel, listener: ListenerContext, peer: ConnectionPeer?,
                     counter: TCPConnectionTelemetry? = nil) -> EventLoopFuture<Void> {
        downstream.eventLoop.makeCompletedFuture {
            let sniffer = TunnelSniffer(listener: listener, peer: peer, upstream: upstream, counter: counter)
            try ProtocolTakeover.downstream(downstream, replacingWith: [sniffer])
            downstream.writeAndFlush(ConnectTunnel.established, promise: nil)
            try sniffer.watchUpstream()
            ProtocolTakeover.resumeReading([downstream, upstream])
        }
    }
}

extension ProxyServerHandler {
    /// `CONNECT host:port`: routed by authority like a request, then spliced to the chosen endpoint,
    /// each step as the tunnel's state machine says.
    func startTunnel(_ head: ProxyRequestHead, context: ChannelHandlerContext) {
        let (host, port) = Self.target(ofAuthority: head.uri)
        if let destinations = listener.configuration.active.tunnelTCPDestinations(host: host, port: port) {
            return startTCPTunnel(destinations: destinations, context: context)
        }
        let attributes = RequestAttributes(authority: head.uri, path: "/", method: "CONNECT", scheme: listener.scheme,
                                           fields: head.headers, defaultPort: 443)
        var request = RequestContext(attributes: attributes, configuration: listener.configuration.active, routeTable: listener.routeTable)
        let decision = listener.pipeline.decide(&request)
        let forward: RequestDecision.Upstream?
        if case .forward(let upstream) = decision { forward = upstream } else { forward = nil }
        let routes = listener.configuration.active.outboundSNIRoutes(port: port)
        if !routes.isEmpty {
            return startTLSTunnel(routes: routes, fallback: forward.map { [WeightedCluster(cluster: $0.cluster, weight: 100)] } ?? [], destination: host, context: context)
        }
        switch tunnel.routed(forward: forward != nil) {
        case .answer:
            if case .respond(let response) = decision { answer(response, version: head.version, closing: true) }
        case .connect:
            guard let upstream = forward else { return }
            machine.tunnel()
            setReading(false)
            let downstream = context.channel
            let stats = listener.stats
            listener.pool.value.connectTunnel(host: upstream.host, port: upstream.port, connectTimeout: .milliseconds(Int64(upstream.connectTimeoutMs)),
                                              transport: upstream.transport, cluster: upstream.cluster,
                                              proxyProtocol: upstream.connectionPool.proxyProtocol.map { UpstreamProxyProtocol(version: $0) })
                .hop(to: context.eventLoop)
                .assumeIsolated()
                .whenComplete { result in
                    switch result {
                    case .success(let channel):
                        guard case .splice = self.tunnel.connected() else {
                            channel.close(promise: nil)
                            return
                        }
                        let counter = self.listener.telemetry.map { telemetry in
                            TCPConnectionTelemetry(telemetry: telemetry, series: TCPConnectionTelemetry.outboundSeries(
                                own: telemetry, upstream: upstream, configuration: self.listener.configuration.active), eventLoop: downstream.eventLoop)
                        }
                        ConnectTunnel.open(downstream: downstream, upstream: channel, listener: self.listener, peer: self.peer, counter: counter)
                            .hop(to: downstream.eventLoop).assumeIsolated().whenComplete { result in
                            switch self.tunnel.spliced((try? result.get()) != nil) {
                            case .opened:
                                stats.increment(cluster: upstream.cluster, "upstream_cx_tunnel")
                            case .closeBoth:
                                channel.close(promise: nil)
                                downstream.close(promise: nil)
                            case .none, .connect, .answer, .splice:
                                break
                            }
                        }
                    case .failure:
                        guard case .answer = self.tunnel.connectFailed(), let context = self.context else { return }
                        stats.increment(cluster: upstream.cluster, "upstream_cx_connect_fail")
                        self.respondLocally(LocalResponse(status: 503, flag: "UF", body: "upstream connect error or disconnect/reset before headers. reset reason: connection failure"),
                                            keepAlive: false, version: head.version, context: context)
                        context.close(promise: nil)
                    }
                }
        case .none, .splice, .opened, .closeBoth:
            break
        }
    }

    /// `CONNECT` to a port some VirtualService `tls` routes apply to: the tunnel is answered at once
    /// and routed by its ClientHello's server name, as Istio's outbound TLS listener for that port
    /// would route the connection (a hello no route takes, or bytes that are not TLS, go where the
    /// authority routes; nowhere: closed, counted by the inspector).
    private func startTLSTunnel(routes: [SNIRoute], fallback: [WeightedCluster], destination: String, context: ChannelHandlerContext) {
        let listener = self.listener
        answerTunnel(counting: "downstream_cx_tunnel_tls", context: context) { channel in
            try ProtocolTakeover.downstream(channel, replacingWith: [TLSInspector(listener: listener, tunnel: TunnelTLSRouting(routes: routes, fallback: fallback, destination: destination))])
        }
    }

    /// A CONNECT tunnel a VirtualService `tcp` route took: answered, then carried as TCP to the
    /// route's destinations, as the port's outbound TCP listener would carry it.
    private func startTCPTunnel(destinations: [WeightedCluster], context: ChannelHandlerContext) {
        let listener = self.listener
        answerTunnel(counting: "downstream_cx_tunnel_tcp", context: context) { channel in
            try OutboundTCPProxy.startTunnel(on: channel, listener: listener, destinations: destinations)
        }
    }

    /// A tunnel routed without opening an upstream first: `takeOver` replaces the HTTP handlers,
    /// then the 200 goes out as bytes (the HTTP encoder has left; nothing from upstream can precede
    /// it). On the next loop turn, because the decoder hands this handler the CONNECT's end first;
    /// bytes the client sent after it stay in the decoder and reach the new handlers when it leaves.
    private func answerTunnel(counting stat: String, context: ChannelHandlerContext, takeOver: @escaping (any Channel) throws -> Void) {
        machine.tunnel()
        setReading(false)
        listener.stats.increment(stat)
        let channel = context.channel
        context.eventLoop.assumeIsolated().execute {
            do {
                try takeOver(channel)
            } catch {
                channel.close(promise: nil)
                return
            }
            channel.writeAndFlush(ConnectTunnel.established, promise: nil)
            ProtocolTakeover.resumeReading([channel])
        }
    }

    /// The host and port of a CONNECT target (`host:port`, `[v6]:port`); port 443 when it names none.
    static func target(ofAuthority authority: String) -> (host: String, port: Int) {
        guard let colon = authority.lastIndex(of: ":"), !authority[colon...].contains("]"), let port = Int(authority[authority.index(after: colon)...]) else {
            return (authority, 443)
        }
        var host = authority[..<colon]
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        return (String(host), port)
    }
}
