import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// One HTTP/1.1 listener of a proxy (outbound 15001, an inbound port, a gateway port).
struct HTTPListenerService: Service {
    let host: String
    let port: Int
    let eventLoop: any EventLoop
    let listener: ListenerContext
    /// The proxy's drain, which collects this listener's connections.
    let drain: ProxyDrain
    let logger: Logger
    /// Called once bound; the readiness gate waits for every listener.
    let onBound: @Sendable () -> Void
    /// Sets up each connection (a capture port's per-connection choice); nil: as `listener`'s port.
    var serve: (@Sendable (any Channel) throws -> Void)? = nil

    func run() async throws {
        let listener = self.listener
        let serve = self.serve ?? { channel in try ProxyConnectionPipeline.serve(channel, listener: listener) }
        let channel = try await ProxyConnectionPipeline.bind(host: host, port: port, eventLoop: eventLoop, quiescing: drain.quiescing(eventLoop), initialize: serve)
        logger.debug("listening", metadata: ["listener": "\(listener.name)", "address": "\(host):\(port)"])
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
