import NIOCore
import NIOHTTP1
import NIOPosix

/// Idle keep-alive connections to upstream endpoints, reused by later requests. Confined to the
/// proxy's event loop: every call happens on `eventLoop`.
public final class UpstreamConnectionPool {
    let eventLoop: any EventLoop
    /// The pod IP: upstream connections leave from it, so peers see which workload calls.
    let sourceAddress: String?
    private var idle: [String: [any Channel]] = [:]
    /// Idle connections kept per endpoint.
    let maximumIdlePerEndpoint = 32

    public init(eventLoop: any EventLoop, sourceAddress: String? = nil) {
        self.eventLoop = eventLoop
        self.sourceAddress = sourceAddress
    }

    /// An idle keep-alive connection to `host:port`, if one is open.
    func takeIdle(host: String, port: Int) -> (any Channel)? {
        eventLoop.preconditionInEventLoop()
        let key = "\(host):\(port)"
        while var list = idle[key], let channel = list.popLast() {
            idle[key] = list
            if channel.isActive { return channel }
        }
        return nil
    }

    /// An idle connection to `host:port`, or a new one (HTTP/1.1 client pipeline plus `UpstreamHandler`).
    func acquire(host: String, port: Int, connectTimeout: TimeAmount) -> EventLoopFuture<any Channel> {
        if let channel = takeIdle(host: host, port: port) { return eventLoop.makeSucceededFuture(channel) }
        return bootstrap(to: host, connectTimeout: connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(UpstreamHandler(), name: UpstreamHandler.name)
                }
            }
            .connect(host: host, port: port)
    }

    /// A plain TCP connection for a `CONNECT` tunnel (never pooled).
    func connectTunnel(host: String, port: Int, connectTimeout: TimeAmount) -> EventLoopFuture<any Channel> {
        eventLoop.preconditionInEventLoop()
        return bootstrap(to: host, connectTimeout: connectTimeout).connect(host: host, port: port)
    }

    private func bootstrap(to host: String, connectTimeout: TimeAmount) -> ClientBootstrap {
        var bootstrap = ClientBootstrap(group: eventLoop)
        if let sourceAddress, let local = try? SocketAddress(ipAddress: sourceAddress, port: 0), !(host.hasPrefix("127.") == false && sourceAddress.hasPrefix("127.")) {
            bootstrap = bootstrap.bind(to: local)
        }
        return bootstrap
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
    }

    /// Returns a connection after a complete keep-alive exchange.
    func release(_ channel: any Channel, host: String, port: Int) {
        eventLoop.preconditionInEventLoop()
        let key = "\(host):\(port)"
        guard channel.isActive, idle[key, default: []].count < maximumIdlePerEndpoint else {
            channel.close(promise: nil)
            return
        }
        idle[key, default: []].append(channel)
    }

    /// Closes every idle connection (drain).
    func closeAll() {
        for channels in idle.values { for channel in channels { channel.close(promise: nil) } }
        idle = [:]
    }
}

/// Sits on an upstream connection and hands response parts to the downstream request that owns
/// the connection at the moment; an idle connection has no owner.
final class UpstreamHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    static let name = "weft.upstream"

    /// Receives what happens on the upstream connection.
    protocol Owner: AnyObject {
        func upstreamReceived(_ part: HTTPClientResponsePart)
        /// The end of one read from the upstream: time to flush what was written downstream.
        func upstreamReadComplete()
        func upstreamClosed()
        /// The upstream sent something that is not HTTP/1.1; the connection closes next.
        func upstreamProtocolError()
        func upstreamWritabilityChanged(_ writable: Bool)
    }

    weak var owner: (any Owner)?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        owner?.upstreamReceived(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        owner?.upstreamReadComplete()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        let owner = self.owner
        self.owner = nil
        owner?.upstreamClosed()
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        owner?.upstreamWritabilityChanged(context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is HTTPParserError {
            let owner = self.owner
            self.owner = nil
            owner?.upstreamProtocolError()
        }
        context.close(promise: nil)
    }
}
