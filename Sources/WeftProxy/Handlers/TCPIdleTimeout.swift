import NIOCore

/// DestinationRule `connectionPool.tcp.idleTimeout` on a spliced connection (Envoy's tcp_proxy
/// `idle_timeout`; Istio's default is one hour): no bytes either way for that long closes it,
/// counted as `idle_timeout`. Sits on the downstream side, where both directions pass.
final class TCPIdleTimeout: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Istio's default for `tcp.idleTimeout`.
    static let defaultMilliseconds = 3_600_000

    private let timeout: TimeAmount
    private let stats: ProxyStats
    private let cluster: String
    private var lastActivity = NIODeadline.now()
    private var task: Scheduled<Void>?

    init(milliseconds: Int, stats: ProxyStats, cluster: String) {
        timeout = .milliseconds(Int64(milliseconds))
        self.stats = stats
        self.cluster = cluster
    }

    func handlerAdded(context: ChannelHandlerContext) {
        schedule(context: context, in: timeout)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        task?.cancel()
        task = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastActivity = .now()
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        lastActivity = .now()
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        task?.cancel()
        task = nil
        context.fireChannelInactive()
    }

    private func schedule(context: ChannelHandlerContext, in delay: TimeAmount) {
        task = context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [weak self] in
            guard let self else { return }
            let idle = NIODeadline.now() - self.lastActivity
            if idle >= self.timeout {
                self.stats.increment(cluster: self.cluster, "idle_timeout")
                context.close(promise: nil)
            } else {
                self.schedule(context: context, in: self.timeout - idle)
            }
        }
    }
}
