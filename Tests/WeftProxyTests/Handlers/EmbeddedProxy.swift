import NIOCore
import NIOEmbedded
import NIOHTTP1
import WeftModel
@testable import WeftProxy

/// The proxy's real handlers on `EmbeddedChannel`s: a downstream connection of an outbound listener
/// (its codec, headers timeout and ProxyServerHandler, as ProxyConnectionPipeline builds them) and
/// upstream connections put idle in the listener's pool, all on one embedded event loop whose clock
/// the test moves. Bytes in and out are HTTP/1.1 text.
final class EmbeddedProxy {
    static let cluster = ClusterConfig.name(host: "svc", port: 80, subset: nil)
    let loop = EmbeddedEventLoop()
    let downstream: EmbeddedChannel
    let stats = ProxyStats()
    /// The listener's configuration: a test installs another to push a change.
    let store: ConfigurationStore
    private let pool: NIOLoopBoundBox<UpstreamConnectionPool>

    /// `edge`: the listener is a gateway's at that edge (its connections start as `serve` starts them).
    init(policy: RoutePolicy = RoutePolicy(), edge: GatewayEdge? = nil) throws {
        let route = RouteEntry(name: "svc", matches: [], action: .forward([WeightedCluster(cluster: Self.cluster, weight: 100)]), policy: policy)
        let table = RouteTable(name: "outbound", virtualHosts: [VirtualHostConfig(name: "svc", domains: ["svc"], port: nil, routes: [route])], fallback: .blackhole)
        let endpoint = EndpointGroup.Endpoint(address: "10.0.0.1", port: 80, labels: [:], locality: "", weight: 1, workload: "svc-1")
        let configuration = ProxyConfiguration(version: "1", routeTables: [table], clusters: [ClusterConfig(serviceHost: "svc", port: 80, subset: nil)],
                                               endpoints: [EndpointGroup(cluster: Self.cluster, endpoints: [endpoint])])
        store = ConfigurationStore(configuration)
        let balancer = LoadBalancerState()
        pool = NIOLoopBoundBox.makeBoxSendingValue(UpstreamConnectionPool(eventLoop: loop, stats: stats), as: UpstreamConnectionPool.self, eventLoop: loop)
        let listener = ListenerContext(name: "outbound", pipeline: ListenerPipelines.routed(balancer: balancer, pool: pool, stats: stats),
                                       configuration: store, routeTable: "outbound", pool: pool, balancer: balancer,
                                       stats: stats, appendForwardedFor: edge != nil, gatewayEdge: edge)
        downstream = EmbeddedChannel(loop: loop)
        if edge != nil {
            try ProxyConnectionPipeline.serve(downstream, listener: listener)
        } else {
            try ProxyConnectionPipeline.configure(downstream, listener: listener)
        }
        try downstream.connect(to: SocketAddress(ipAddress: "127.0.0.9", port: 40000)).wait()
    }

    /// An open connection to the cluster's endpoint, idle in the pool (the next request takes it).
    func idleUpstream() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel(loop: loop)
        let handler = try UpstreamHandler.addHTTP1(to: channel.pipeline.syncOperations)
        try channel.connect(to: SocketAddress(ipAddress: "10.0.0.1", port: 80)).wait()
        handler.pool = pool.value
        handler.host = "10.0.0.1"
        handler.port = 80
        handler.poolKey = UpstreamTransport.plaintext.poolKey(host: "10.0.0.1", port: 80, cluster: Self.cluster)
        pool.value.release(handler)
        return channel
    }

    /// Bytes from the client.
    func client(_ text: String) throws {
        try downstream.writeInbound(ByteBuffer(string: text))
    }

    /// Bytes from an upstream.
    func upstream(_ channel: EmbeddedChannel, sends text: String) throws {
        try channel.writeInbound(ByteBuffer(string: text))
    }

    /// Everything written to the client so far.
    func clientReceived() throws -> String { try written(by: downstream) }

    /// Everything written to an upstream so far.
    func upstreamReceived(_ channel: EmbeddedChannel) throws -> String { try written(by: channel) }

    private func written(by channel: EmbeddedChannel) throws -> String {
        // The end of the loop's tick, where the handlers' flushes are issued (TickFlushes).
        loop.run()
        var text = ""
        while let data = try channel.readOutbound(as: IOData.self) {
            if case .byteBuffer(let buffer) = data { text += String(buffer: buffer) }
        }
        return text
    }
}
