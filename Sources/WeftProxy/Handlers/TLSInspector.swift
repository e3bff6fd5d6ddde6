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

    init(listener: ListenerContext) {
        self.listener = listener
    }

    /// Where a ClientHello with `serverName` goes on `config`; nil: nowhere (no route).
    static func destinations(serverName: String?, config: ListenerConfig?) -> [WeightedCluster]? {
        guard let config else { return nil }
        guard let serverName else { return config.tcpDestinations }
        return config.sniRoutes.first { $0.matches(serverName) }?.destinations
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = held.takeJoined(with: unwrapInboundIn(data))
        let stats = listener.stats
        let serverName: String?
        switch ClientHelloSNI.inspect(bytes) {
        case .incomplete:
            held = bytes
            return
        case .notTLS:
            stats.increment("tls_inspector.tls_not_found")
            return refuse(context: context)
        case .clientHello(let name):
            stats.increment("tls_inspector.tls_found")
            stats.increment(name == nil ? "tls_inspector.sni_not_found" : "tls_inspector.sni_found")
            serverName = name
        }
        let config = listener.configuration.active.configuration.listeners.first { $0.name == listener.name }
        guard let destinations = Self.destinations(serverName: serverName, config: config) else { return refuse(context: context) }
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
