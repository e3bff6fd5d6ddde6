import NIOCore
import NIOExtras
import NIOHTTP1
import NIOHTTP2
import NIOPosix

/// The handlers of every proxy HTTP/1.1 connection, in order, for each kind of listener. An
/// inbound port starts with `InboundTransportHandler`, which puts TLS (or nothing) in front of
/// these once the first bytes and PeerAuthentication have decided.
enum ProxyConnectionPipeline {
    /// An HTTP connection starts with the version sniffer, which puts in HTTP/1.1's or HTTP/2's handlers.
    /// On a port whose protocol is not declared (AUTO) it also tells HTTP from anything else, which
    /// is carried as TCP (to the app inbound, to the port's destinations on an egress port).
    static func configure(_ channel: any Channel, listener: ListenerContext, peer: ConnectionPeer? = nil,
                          position: ChannelPipeline.SynchronousOperations.Position = .last) throws {
        let active = listener.configuration.active
        var opaque: HTTPVersionSniffer.Opaque?
        var timeout: Int?
        if let port = listener.inboundPort, let sniffed = active.sniffedInboundListener(port: port) {
            opaque = .inbound(port: port, service: sniffed.hosts.first ?? "")
            timeout = sniffed.protocolDetectionTimeoutMs
        } else if listener.egressProtocol == "AUTO" {
            opaque = .egress
            timeout = active.listener(named: listener.name)?.protocolDetectionTimeoutMs
        }
        try channel.pipeline.syncOperations.addHandler(HTTPVersionSniffer(listener: listener, peer: peer, opaque: opaque, detectionTimeoutMs: timeout),
                                                       position: position)
    }

    /// HTTP/2 with prior knowledge: each stream gets the same exchange as an HTTP/1.1 connection,
    /// its frames translated to the exchange's parts (so an HTTP/1.1 upstream serves an HTTP/2 client).
    /// NIO's defaults bound the connection: 100 concurrent streams, 16 KiB of header list, 200
    /// resets per 30 s (the rapid-reset pattern ends in GOAWAY).
    static func configureHTTP2(_ channel: any Channel, listener: ListenerContext, peer: ConnectionPeer?,
                               position: ChannelPipeline.SynchronousOperations.Position) throws {
        let manager = NIOHTTP2ServerConnectionManagementHandler(eventLoop: channel.eventLoop, configuration: connectionManagement)
        var configuration = http2Connection
        // RFC 8441: clients may open WebSockets with extended CONNECT.
        configuration.initialSettings.append(HTTP2Setting(parameter: .enableConnectProtocol, value: 1))
        let handler = NIOHTTP2Handler(mode: .server, eventLoop: channel.eventLoop, connectionConfiguration: configuration,
                                      streamDelegate: manager.http2StreamDelegate) { stream in
            stream.eventLoop.makeCompletedFuture {
                let extendedConnect = ExtendedConnectCodec()
                try stream.pipeline.syncOperations.addHandlers([
                    extendedConnect,
                    DownstreamStreamCodec(),
                    ProxyServerHandler(listener: listener, peer: peer, http2: true, extendedConnect: extendedConnect),
                ])
            }
        }
        try channel.pipeline.syncOperations.addHandler(handler, position: position)
        try channel.pipeline.syncOperations.addHandler(manager, position: .after(handler))
        try channel.pipeline.syncOperations.addHandler(HTTP2ConnectionErrors(stats: listener.stats), position: .after(manager))
    }

    /// A downstream HTTP/2 connection drains as Envoy's does when its listener drains: GOAWAY with
    /// the highest stream ID, a PING, then GOAWAY with the last stream taken; it closes once those
    /// streams end, or after Istio's `drainDuration` (45 s). No keepalive pings (Envoy sends none by default).
    static let connectionManagement = NIOHTTP2ServerConnectionManagementHandler.Configuration(
        maxIdleTime: nil, maxAge: nil, maxGraceTime: .seconds(45), keepalive: nil)

    /// NIO's HTTP/2 limits, but one: NIO ends a connection after 200 stream errors over its whole
    /// life ("glitches"). A connection between sidecars carries every request between two pods for
    /// hours, so any rate of stream resets ends it in time, and every stream on it with it (h2load
    /// through the pair stalled once 200 had added up). Floods, rapid reset and the rest of NIO's
    /// protections, which count per window, stay as they are.
    static var http2Connection: NIOHTTP2Handler.ConnectionConfiguration {
        var configuration = NIOHTTP2Handler.ConnectionConfiguration()
        configuration.maximumConnectionGlitches = 1_000_000
        return configuration
    }

    /// HTTP/1.1: one exchange after another on the connection, a request's headers bounded in time.
    static func configureHTTP1(_ channel: any Channel, listener: ListenerContext, peer: ConnectionPeer? = nil,
                               position: ChannelPipeline.SynchronousOperations.Position = .last) throws {
        let timeout = RequestHeadersTimeout(timeout: listener.requestHeadersTimeout, stats: listener.stats)
        // No HTTPServerPipelineHandler: ProxyServerHandler holds pipelined requests itself. No
        // NIOHTTPResponseHeadersValidator either (NIO's server pipeline adds one): every header of an
        // answer was checked where it came from (an upstream's by the response decoder, which refuses
        // a name or value a header cannot have; a configured one by validation, which refuses control
        // characters; the rest the proxy writes itself), so checking each byte again on the way out
        // cost ~3 % of a request's instructions for nothing, as Envoy does not check twice either.
        // The handler writes responses as bytes itself and the decoder hands it request parts directly:
        // no part goes through the pipeline (see HTTP1RequestReceiver), and the reader hands it the
        // connection's events: it is not in the pipeline itself (see HTTP1Reader).
        let proxy = ProxyServerHandler(listener: listener, headersTimeout: timeout, peer: peer)
        try channel.pipeline.syncOperations.addHandler(HTTP1Reader(HTTP1RequestDecoder(receiver: proxy), headersTimeout: timeout, events: proxy),
                                                       position: position)
    }

    /// Puts the HTTP handlers behind `handler` (a transport step that has decided) and takes it
    /// out of the pipeline; `data`, the bytes it read, goes on to them first. An inbound port
    /// whose service port is TCP gets a splice to the app instead.
    /// `negotiated`: the TLS connection's ALPN; `istio-h2` (or `h2`) says HTTP/2 without sniffing.
    static func serve(after handler: any ChannelHandler & RemovableChannelHandler, context: ChannelHandlerContext, listener: ListenerContext,
                      peer: ConnectionPeer?, negotiated: String? = nil, passing data: NIOAny? = nil) {
        if let port = listener.inboundPort, let service = listener.configuration.active.opaqueInboundService(port: port) {
            return InboundTCPProxy.serve(after: handler, context: context, listener: listener, port: port, service: service, peer: peer, passing: data)
        }
        do {
            if let negotiated, MeshTLSContexts.http2Protocols.contains(negotiated) {
                listener.stats.increment("downstream_cx_http2_total")
                try configureHTTP2(context.channel, listener: listener, peer: peer, position: .after(handler))
            } else {
                try configure(context.channel, listener: listener, peer: peer, position: .after(handler))
            }
            if let data { context.fireChannelRead(data) }
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        } catch {
            context.close(promise: nil)
        }
    }

    /// A bound proxy listener (outbound, inbound or gateway port) whose connections get these
    /// handlers, each with the context of the loop it is accepted on. `quiescing` collects its
    /// connections for a drain.
    static func bind(host: String, port: Int, group: any EventLoopGroup, listeners: LoopLocal<ListenerContext>, quiescing: ServerQuiescingHelper?) async throws -> any Channel {
        let first = listeners.all[0]
        return try await bind(host: host, port: port, group: group, quiescing: quiescing, counted: (first.name, first.stats), initialize: serving(listeners))
    }

    /// Sets up each connection with its loop's context.
    static func serving(_ listeners: LoopLocal<ListenerContext>) -> @Sendable (any Channel) throws -> Void {
        { channel in try serve(channel, listener: listeners[channel.eventLoop]) }
    }

    /// A bound listener whose connections `initialize` sets up (a capture port decides per
    /// connection). One socket accepts; its connections are spread over the group's loops in turn
    /// (the proxy's `concurrency`), each counted as Envoy counts per worker
    /// (`listener.NAME.worker_N.downstream_cx_total`, under `counted`'s name).
    static func bind(host: String, port: Int, group: any EventLoopGroup, quiescing: ServerQuiescingHelper?, counted: (listener: String, stats: ProxyStats),
                     initialize: @escaping @Sendable (any Channel) throws -> Void) async throws -> any Channel {
        // Each loop's counter name made once, not interpolated for every connection.
        let workers = LoopLocal(group) { $0 }
        let accepted = workers.map { loop, _ in "listener.\(counted.listener).worker_\(workers.worker(of: loop)).downstream_cx_total" }
        return try await ServerBootstrap(group: group)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let quiescing { try channel.pipeline.syncOperations.addHandler(quiescing.makeServerChannelHandler(channel: channel)) }
                }
            }
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // TCP_NODELAY set here, not as a child channel option: NIO applies those through a
            // chain of futures, ~12k instructions for this one option on every accepted connection.
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.syncOptions?.setOption(.tcpOption(.tcp_nodelay), value: 1)
                    counted.stats.increment(accepted[channel.eventLoop])
                    try initialize(channel)
                }
            }
            .bind(host: host, port: port)
            .get()
    }

    /// The first handlers of a connection to `listener`'s port; behind a PROXY protocol load
    /// balancer, the header's reader, which puts them in once it has read the header.
    static func serve(_ channel: any Channel, listener: ListenerContext) throws {
        if listener.gatewayEdge?.proxyProtocol == true {
            try channel.pipeline.syncOperations.addHandler(ProxyProtocolReader(listener: listener))
        } else {
            try serveTransport(channel, listener: listener)
        }
    }

    /// The handlers that serve a connection (its transport first): TLS, the TCP proxy or HTTP.
    static func serveTransport(_ channel: any Channel, listener: ListenerContext) throws {
        // A gateway server's TLS, or a Sidecar ingress listener's own (in place of mutual TLS).
        if let contexts = listener.gatewayTLS, listener.configuration.active.listener(named: listener.name)?.serverTLS.isEmpty == false {
            try channel.pipeline.syncOperations.addHandler(GatewayTLSHandler(listener: listener, contexts: contexts))
        } else if let inbound = listener.inboundPort {
            try channel.pipeline.syncOperations.addHandler(InboundTransportHandler(listener: listener, port: inbound, timeout: listener.tlsHandshakeTimeout))
        } else if listener.egressProtocol == "TLS" {
            try channel.pipeline.syncOperations.addHandler(TLSInspector(listener: listener))
        } else if listener.egressProtocol == "TCP" {
            try OutboundTCPProxy.install(on: channel, listener: listener)
        } else {
            try ProxyConnectionPipeline.configure(channel, listener: listener)
        }
    }
}
