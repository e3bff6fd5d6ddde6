import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// One HTTP/1.1 listener of a proxy (outbound 15001, an inbound port, a gateway port).
struct HTTPListenerService: Service {
    let name: String
    /// Where its connections are counted.
    let stats: ProxyStats
    let host: String
    let port: Int
    /// The proxy's event loops, over which connections are spread.
    let group: any EventLoopGroup
    /// The proxy's drain, which collects this listener's connections.
    let drain: ProxyDrain
    let logger: Logger
    /// Called once bound; the readiness gate waits for every listener.
    let onBound: @Sendable () -> Void
    /// Sets up each connection, on the loop it was accepted on.
    let serve: @Sendable (any Channel) throws -> Void

    /// A port served as `listeners` says (each loop's context for that loop's connections).
    init(host: String, port: Int, group: any EventLoopGroup, listeners: LoopLocal<ListenerContext>, drain: ProxyDrain, logger: Logger, onBound: @escaping @Sendable () -> Void) {
        self.init(name: listeners.all[0].name, stats: listeners.all[0].stats, host: host, port: port, group: group, drain: drain, logger: logger, onBound: onBound,
                  serve: ProxyConnectionPipeline.serving(listeners))
    }

    /// A port whose connections `serve` sets up (a capture port's per-connection choice).
    init(name: String, stats: ProxyStats, host: String, port: Int, group: any EventLoopGroup, drain: ProxyDrain, logger: Logger, onBound: @escaping @Sendable () -> Void,
         serve: @escaping @Sendable (any Channel) throws -> Void) {
        self.name = name
        self.stats = stats
        self.host = host
        self.port = port
        self.group = group
        self.drain = drain
        self.logger = logger
        self.onBound = onBound
        self.serve = serve
    }

    func run() async throws {
        let channel = try await ProxyConnectionPipeline.bind(host: host, port: port, group: group, quiescing: drain.quiescing(group), counted: (name, stats), initialize: serve)
        logger.debug("listening", metadata: ["listener": "\(name)", "address": "\(host):\(port)"])
        onBound()
        try await withTaskCancellationOrGracefulShutdownHandler {
            try await channel.closeFuture.get()
            // Closed by the proxy's drain: the group stops this service in its turn.
            if drain.isDraining { try await gracefulShutdown() }
        } onCancelOrGracefulShutdown: {
            channel.close(promise: nil)
        }
    }
}
