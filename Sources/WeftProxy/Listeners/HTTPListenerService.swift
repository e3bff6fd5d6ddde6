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
    let logger: Logger
    /// Called once bound; the readiness gate waits for every listener.
    let onBound: @Sendable () -> Void

    func run() async throws {
        let listener = self.listener
        let channel = try await ServerBootstrap(group: eventLoop)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try ProxyConnectionPipeline.configure(channel, listener: listener)
                }
            }
            .bind(host: host, port: port)
            .get()
        logger.debug("listening", metadata: ["listener": "\(listener.name)", "address": "\(host):\(port)"])
        onBound()
        try await withTaskCancellationOrGracefulShutdownHandler {
            try await channel.closeFuture.get()
        } onCancelOrGracefulShutdown: {
            channel.close(promise: nil)
        }
    }
}
