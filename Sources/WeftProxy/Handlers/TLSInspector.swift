import NIOCore
import WeftModel

/// The first handler of a connection to a Sidecar egress TLS port, as Envoy's `tls_inspector` and
/// an SNI filter chain match: the first bytes are held (not terminated) until they make a whole
/// ClientHello, then its server name picks the destinations (the listener's `sniRoutes`, first
/// match; a hello without one goes to `tcpDestinations`) and the connection, with what was read,
/// goes to the TCP proxy. Not TLS, or a name no route has: closed, counted.
final class TLSInspector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let listener: ListenerContext
    private var held: ByteBuffer?
    /// In a CONNECT tunnel, how it is routed; nil on a Sidecar egress TLS port.
    private let tunnel: TunnelTLSRouting?

    init(listener: ListenerContext, tunnel: TunnelTLSRouting? = nil) {
        self.listener = listener
        self.tunnel = tunnel
    }

    /// Where a tunnel's bytes go: the first route that takes the hello's server name, else the fallback.
    static func destinations(serverName: String?, tunnel: TunnelTLSRouting) -> [WeightedCluster]? {
        let routed = serverName.flatMap { name in tunnel.routes.first { $0.matches(name) && $0.admits(destination: tunnel.destination) }?.destinations } ?? tunnel.fallback
        return routed.isEmpty ? nil : routed
    }

    /// Where a ClientHello with `serverName` goes on `config`; nil: nowhere (no route).
    static func destinations(serverName: String?, config: ListenerConfig?) -> [WeightedCluster]? {
        guard let config else { return nil }
        guard let serverName else { return config.tcpDestinations }
        return config.sniRoutes.first { $0.matches(serverName) }?.destinations
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = held.takeJoined(with: unwrapInboundIn(data))
        let serverName: String?
        switch ClientHelloSNI.inspect(bytes, counting: listener.stats) {
        case .incomplete:
            held = bytes
            return
        case .notTLS:
            guard tunnel != nil else { return refuse(context: context) }
            serverName = nil
        case .clientHello(let name):
            serverName = name
        }
        let found: [WeightedCluster]?
        if let tunnel {
            found = Self.destinations(serverName: serverName, tunnel: tunnel)
        } else {
            found = Self.destinations(serverName: serverName, config: listener.configuration.active.configuration.listeners.first { $0.name == listener.name })
        }
        guard let destinations = found else { return refuse(context: context) }
        do {
            try OutboundTCPProxy.start(after: self, on: context.channel, listener: listener, destinations: destinations)
        } catch {
            return refuse(context: context)
        }
        context.fireChannelRead(wrapInboundOut(bytes))
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        held = nil
        context.fireChannelInactive()
    }

    /// No filter chain matches: Envoy closes the connection (counted as no route).
    private func refuse(context: ChannelHandlerContext) {
        held = nil
        listener.stats.increment("listener.\(listener.name).no_filter_chain_match")
        context.close(promise: nil)
    }
}

/// How a CONNECT tunnel's ClientHello is routed: the port's `tls` routes, where anything they do
/// not take goes (the CONNECT authority's cluster; none: closed), and the CONNECT host, which a
/// route's `destinationSubnets` must hold.
struct TunnelTLSRouting {
    var routes: [SNIRoute]
    var fallback: [WeightedCluster]
    var destination: String
}
