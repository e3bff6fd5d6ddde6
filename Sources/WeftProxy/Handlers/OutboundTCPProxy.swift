import NIOCore
import WeftModel

/// Where one outbound TCP connection goes: a cluster of the listener's weighted destinations, then
/// an endpoint as the cluster balances, secured as auto mutual TLS and the DestinationRule say.
/// Plain values, decided when the connection arrives, from the configuration in force then.
enum TCPUpstreamChoice {
    /// The upstream, or Envoy's flag for why there is none (`NR` no route, `UH` no endpoint).
    static func choose(destinations: [WeightedCluster], configuration: ActiveConfiguration, balancer: LoadBalancerState) -> Result<RequestDecision.Upstream, TCPNoUpstream> {
        guard let picked = WeightedPick.random(destinations) else { return .failure(TCPNoUpstream(flag: "NR", cluster: nil)) }
        let clusterName = picked.cluster
        let cluster = configuration.clusters[clusterName]
        let endpoints = configuration.endpoints[clusterName] ?? []
        guard let endpoint = balancer.pick(.init(cluster: cluster, clusterName: clusterName, hashKey: nil), endpoints: endpoints) else {
            return .failure(TCPNoUpstream(flag: "UH", cluster: clusterName))
        }
        var upstream = RequestDecision.Upstream(host: endpoint.address, port: endpoint.port, cluster: clusterName, connectTimeoutMs: cluster?.config.connectTimeoutMs ?? 10_000)
        upstream.transport = UpstreamTransport.choose(cluster: cluster, endpoint: endpoint, serverName: configuration.serverNames[clusterName])
        if let policy = cluster?.config.outlierDetection {
            upstream.outlierDetection = policy
            upstream.endpointCount = endpoints.count
        }
        return .success(upstream)
    }
}

/// Why an outbound TCP connection has no upstream.
struct TCPNoUpstream: Error, Equatable {
    var flag: String
    var cluster: String?
}

/// The first handler of a connection to a Sidecar egress TCP port: picks the upstream when the
/// connection arrives, opens it (mutual TLS to a sidecar), and splices the two, both ways, with
/// backpressure; counted in Istio's TCP metrics (reporter source) and Envoy's cluster stats. No
/// route, no endpoint or a refused connect closes the client's connection with `NR`, `UH`, `UF`.
final class OutboundTCPProxy: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let listener: ListenerContext
    /// Where the connection may go; nil: the listener's `tcpDestinations` when it arrives.
    private let destinations: [WeightedCluster]?
    /// A captured connection no service claims (ALLOW_ANY): on to where it was addressed, as Envoy's PassthroughCluster.
    private let passthrough: CaptureTable.Destination?
    private let downstreamSide: SpliceHandler
    private let upstreamSide: SpliceHandler

    init(listener: ListenerContext, destinations: [WeightedCluster]? = nil, passthrough: CaptureTable.Destination? = nil) {
        self.listener = listener
        self.destinations = destinations
        self.passthrough = passthrough
        (downstreamSide, upstreamSide) = SpliceHandler.pair()
    }

    /// Installs the proxy on a new connection: until the upstream joins, the splice reads nothing.
    static func install(on channel: any Channel, listener: ListenerContext, destinations: [WeightedCluster]? = nil,
                        passthrough: CaptureTable.Destination? = nil) throws {
        let proxy = OutboundTCPProxy(listener: listener, destinations: destinations, passthrough: passthrough)
        try channel.pipeline.syncOperations.addHandlers([proxy, proxy.downstreamSide])
    }

    /// Installs the proxy behind `handler` on a connection already open (a TLS connection whose
    /// server name chose `destinations`) and starts it; what `handler` read goes on through it next.
    static func start(after handler: any ChannelHandler, on channel: any Channel, listener: ListenerContext, destinations: [WeightedCluster]) throws {
        let proxy = OutboundTCPProxy(listener: listener, destinations: destinations)
        let operations = channel.pipeline.syncOperations
        try operations.addHandlers([proxy, proxy.downstreamSide], position: .after(handler))
        proxy.start(context: try operations.context(handler: proxy))
    }

    /// A CONNECT tunnel a `tcp` route took: the connection's HTTP handlers give way to the proxy,
    /// which starts at once (a server that speaks first is heard without the client's bytes).
    static func startTunnel(on channel: any Channel, listener: ListenerContext, destinations: [WeightedCluster]) throws {
        let proxy = OutboundTCPProxy(listener: listener, destinations: destinations)
        try ProtocolTakeover.downstream(channel, replacingWith: [proxy, proxy.downstreamSide])
        proxy.start(context: try channel.pipeline.syncOperations.context(handler: proxy))
    }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        start(context: context)
    }

    private func start(context: ChannelHandlerContext) {
        listener.stats.increment("downstream_cx_tcp")
        // A gateway's TCP server: its AuthorizationPolicies judge the connection first.
        guard listener.enforcesAuthorization else { return connect(context: context) }
        AuthorizeConnection.admit(context.channel, port: listener.inboundPort ?? listener.defaultPort, peer: nil, listener: listener,
                                  refused: { self.downstreamSide.abandon() }) {
            self.connect(context: context)
        }
    }

    private func connect(context: ChannelHandlerContext) {
        let stats = listener.stats
        let downstream = context.channel
        let configuration = listener.configuration.active
        let destinations = destinations ?? configuration.configuration.listeners.first { $0.name == listener.name }?.tcpDestinations ?? []
        let choice = passthrough.map { .success(RequestDecision.Upstream(host: $0.address, port: $0.port, cluster: "PassthroughCluster", connectTimeoutMs: 10_000, headers: nil)) }
            ?? TCPUpstreamChoice.choose(destinations: destinations, configuration: configuration, balancer: listener.balancer)
        switch choice {
        case .failure(let missing):
            stats.increment(missing.cluster.map { "cluster.\($0).upstream_cx_none_healthy" } ?? "listener.\(listener.name).no_route")
            if let telemetry = listener.telemetry {
                let counter = TCPConnectionTelemetry(telemetry: telemetry, series: TCPConnectionTelemetry.unroutedSeries(own: telemetry, cluster: missing.cluster), eventLoop: context.eventLoop)
                counter.upstreamFailed(flag: missing.flag)
                try? context.pipeline.syncOperations.addHandler(counter, position: .after(self))
            }
            context.close(promise: nil)
        case .success(let upstream):
            let counter = listener.telemetry.map { telemetry in
                TCPConnectionTelemetry(telemetry: telemetry, series: TCPConnectionTelemetry.outboundSeries(own: telemetry, upstream: upstream, configuration: listener.configuration.active), eventLoop: context.eventLoop)
            }
            if let counter { try? context.pipeline.syncOperations.addHandler(counter, position: .after(self)) }
            let policy = configuration.clusters[upstream.cluster]?.config.connectionPool ?? .unlimited
            let pool = listener.pool.value
            // DestinationRule tcp.maxConnections: Envoy's connection circuit breaker, UO past it.
            guard pool.takeConnectionSlot(cluster: upstream.cluster, policy: policy) else {
                stats.increment(cluster: upstream.cluster, "upstream_cx_overflow")
                counter?.upstreamFailed(flag: "UO")
                downstreamSide.abandon()
                context.close(promise: nil)
                return
            }
            let idleMilliseconds = policy.tcpIdleTimeoutMs ?? TCPIdleTimeout.defaultMilliseconds
            if idleMilliseconds > 0 {
                try? context.pipeline.syncOperations.addHandler(TCPIdleTimeout(milliseconds: idleMilliseconds, stats: stats, cluster: upstream.cluster),
                                                                 position: .before(downstreamSide))
            }
            _ = downstream.setOption(.allowRemoteHalfClosure, value: true)
            let upstreamSide = self.upstreamSide
            let downstreamSide = self.downstreamSide
            let balancer = listener.balancer
            // The downstream's ends, as Envoy's tcp_proxy hands them to a PROXY protocol upstream.
            let proxyProtocol = policy.proxyProtocol.map {
                UpstreamProxyProtocol(version: $0, source: listener.remoteAddress(of: downstream), destination: listener.localAddress(of: downstream))
            }
            pool.connectTunnel(host: upstream.host, port: upstream.port, connectTimeout: .milliseconds(Int64(upstream.connectTimeoutMs)),
                               transport: upstream.transport, cluster: upstream.cluster, keepalive: policy.tcpKeepalive, proxyProtocol: proxyProtocol)
                .hop(to: downstream.eventLoop)
                .assumeIsolated()
                .whenComplete { result in
                    switch result {
                    case .success(let channel):
                        stats.increment(cluster: upstream.cluster, "upstream_cx_total")
                        channel.closeFuture.hop(to: pool.eventLoop).assumeIsolated().whenComplete { _ in pool.releaseConnectionSlot(cluster: upstream.cluster) }
                        Self.record(.status(200), upstream: upstream, balancer: balancer, stats: stats)
                        guard downstream.isActive, (try? channel.pipeline.syncOperations.addHandler(upstreamSide)) != nil else {
                            channel.close(promise: nil)
                            return
                        }
                        _ = channel.setOption(.autoRead, value: true)
                        channel.read()
                        if let limit = policy.maxConnectionDurationMs, limit > 0 {
                            Self.closeAfter(milliseconds: limit, downstream: downstream, upstream: channel, stats: stats, cluster: upstream.cluster)
                        }
                    case .failure:
                        pool.releaseConnectionSlot(cluster: upstream.cluster)
                        stats.increment(cluster: upstream.cluster, "upstream_cx_connect_fail")
                        Self.record(.localFailure, upstream: upstream, balancer: balancer, stats: stats)
                        counter?.upstreamFailed(flag: "UF")
                        downstreamSide.abandon()
                        downstream.close(promise: nil)
                    }
                }
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    /// DestinationRule `tcp.maxConnectionDuration` (Envoy's tcp_proxy `max_downstream_connection_duration`):
    /// the spliced connection closes this long after it opened, counted as `max_downstream_connection_duration`.
    private static func closeAfter(milliseconds: Int, downstream: any Channel, upstream: any Channel, stats: ProxyStats, cluster: String) {
        let timer = downstream.eventLoop.scheduleTask(in: .milliseconds(Int64(milliseconds))) {
            stats.increment(cluster: cluster, "max_downstream_connection_duration")
            downstream.close(promise: nil)
            upstream.close(promise: nil)
        }
        downstream.closeFuture.whenComplete { _ in timer.cancel() }
    }

    /// A connect's outcome for outlier detection: a refused or timed-out connect is a local-origin
    /// failure, which Istio (split_external_local_origin_errors off) counts as a 5xx.
    private static func record(_ outcome: EndpointOutcome, upstream: RequestDecision.Upstream, balancer: LoadBalancerState, stats: ProxyStats) {
        guard let policy = upstream.outlierDetection else { return }
        if balancer.record(outcome, cluster: upstream.cluster, endpoint: "\(upstream.host):\(upstream.port)", policy: policy, endpointCount: upstream.endpointCount) {
            stats.increment(cluster: upstream.cluster, "outlier_detection.ejections_enforced_total")
        }
    }
}
