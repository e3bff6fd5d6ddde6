import NIOCore
import NIOHTTP1
import NIOPosix
import WeftModel

/// Idle keep-alive connections to upstream endpoints, reused by later requests. Confined to the
/// proxy's event loop: every call happens on `eventLoop`.
public final class UpstreamConnectionPool {
    let eventLoop: any EventLoop
    /// The pod IP: upstream connections leave from it, so peers see which workload calls.
    let sourceAddress: String?
    private var idle: [String: [any Channel]] = [:]
    /// Idle connections kept per endpoint.
    let maximumIdlePerEndpoint = 32
    /// Circuit breaking per cluster: open connections, requests waiting for one, and each connection's cluster and use.
    private var openConnections: [String: Int] = [:]
    private var waiters: [String: [Waiter]] = [:]
    private var connections: [ObjectIdentifier: (cluster: String, limits: ConnectionLimits, served: Int)] = [:]
    /// Requests and retries in flight per cluster, for `http2MaxRequests` and `maxRetries`.
    private var activeRequests: [String: Int] = [:]
    private var activeRetries: [String: Int] = [:]
    /// Idle connections' close timers (`idleTimeout`).
    private var idleTimers: [ObjectIdentifier: Scheduled<Void>] = [:]
    /// Counts idle timeouts (`upstream_cx_idle_timeout`).
    let stats: ProxyStats?

    /// A request waiting for a connection of its cluster (Envoy's pending request).
    private struct Waiter {
        var host: String
        var port: Int
        var connectTimeout: TimeAmount
        var promise: EventLoopPromise<any Channel>
    }

    /// The cluster's pending queue is full: the request is refused (503 UO).
    struct PendingOverflow: Error {}

    public init(eventLoop: any EventLoop, sourceAddress: String? = nil, stats: ProxyStats? = nil) {
        self.eventLoop = eventLoop
        self.sourceAddress = sourceAddress
        self.stats = stats
    }

    /// A request (or retry) counted against its cluster's limit while any holder keeps it; nil
    /// when the limit is reached (Envoy's max_requests and max_retries circuit breakers).
    func admit(_ kind: InFlightSlot.Kind, cluster: String, limit: Int) -> InFlightSlot? {
        eventLoop.preconditionInEventLoop()
        let active = kind == .request ? activeRequests[cluster, default: 0] : activeRetries[cluster, default: 0]
        guard active < limit else { return nil }
        adjust(kind, cluster: cluster, by: 1)
        return InFlightSlot(kind: kind, cluster: cluster, pool: self)
    }

    fileprivate func adjust(_ kind: InFlightSlot.Kind, cluster: String, by delta: Int) {
        switch kind {
        case .request: activeRequests[cluster, default: 0] += delta
        case .retry: activeRetries[cluster, default: 0] += delta
        }
    }

    /// An idle keep-alive connection to `host:port`, if one is open.
    func takeIdle(host: String, port: Int) -> (any Channel)? {
        eventLoop.preconditionInEventLoop()
        let key = "\(host):\(port)"
        while var list = idle[key], let channel = list.popLast() {
            idle[key] = list
            idleTimers.removeValue(forKey: ObjectIdentifier(channel))?.cancel()
            if channel.isActive { return channel }
        }
        return nil
    }

    /// An idle connection to `host:port`, or a new one (HTTP/1.1 client pipeline plus `UpstreamHandler`)
    /// while the cluster has fewer than `maxConnections` open; else the request waits in the cluster's
    /// pending queue, and past `maxPendingRequests` it fails with `PendingOverflow`, as Envoy's circuit breakers do.
    func acquire(host: String, port: Int, cluster: String, limits: ConnectionLimits = .none, connectTimeout: TimeAmount) -> EventLoopFuture<any Channel> {
        if let channel = takeIdle(host: host, port: port) { return eventLoop.makeSucceededFuture(channel) }
        if openConnections[cluster, default: 0] < limits.maxConnections ?? .max {
            return open(host: host, port: port, cluster: cluster, limits: limits, connectTimeout: connectTimeout)
        }
        guard waiters[cluster, default: []].count < limits.maxPendingRequests ?? .max else {
            return eventLoop.makeFailedFuture(PendingOverflow())
        }
        let promise = eventLoop.makePromise(of: (any Channel).self)
        waiters[cluster, default: []].append(Waiter(host: host, port: port, connectTimeout: connectTimeout, promise: promise))
        return promise.futureResult
    }

    private func open(host: String, port: Int, cluster: String, limits: ConnectionLimits, connectTimeout: TimeAmount) -> EventLoopFuture<any Channel> {
        openConnections[cluster, default: 0] += 1
        let future = bootstrap(to: host, connectTimeout: connectTimeout, keepalive: limits.keepalive)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(UpstreamHandler(), name: UpstreamHandler.name)
                }
            }
            .connect(host: host, port: port)
        future.hop(to: eventLoop).assumeIsolated().whenComplete { result in
            switch result {
            case .success(let channel):
                self.connections[ObjectIdentifier(channel)] = (cluster, limits, 0)
                channel.closeFuture.hop(to: self.eventLoop).assumeIsolated().whenComplete { _ in self.closed(channel) }
            case .failure:
                self.openConnections[cluster, default: 1] -= 1
                self.serveWaiter(cluster)
            }
        }
        return future
    }

    private func closed(_ channel: any Channel) {
        guard let entry = connections.removeValue(forKey: ObjectIdentifier(channel)) else { return }
        openConnections[entry.cluster, default: 1] -= 1
        serveWaiter(entry.cluster)
    }

    /// A connection slot came free: the first waiting request gets a new connection.
    private func serveWaiter(_ cluster: String) {
        guard var list = waiters[cluster], !list.isEmpty else { return }
        let waiter = list.removeFirst()
        waiters[cluster] = list
        let limits = connections.values.first { $0.cluster == cluster }?.limits ?? .none
        open(host: waiter.host, port: waiter.port, cluster: cluster, limits: limits, connectTimeout: waiter.connectTimeout).cascade(to: waiter.promise)
    }

    /// A plain TCP connection for a `CONNECT` tunnel (never pooled).
    func connectTunnel(host: String, port: Int, connectTimeout: TimeAmount) -> EventLoopFuture<any Channel> {
        eventLoop.preconditionInEventLoop()
        return bootstrap(to: host, connectTimeout: connectTimeout).connect(host: host, port: port)
    }

    private func bootstrap(to host: String, connectTimeout: TimeAmount, keepalive: TCPKeepalive? = nil) -> ClientBootstrap {
        var bootstrap = ClientBootstrap(group: eventLoop)
        if let sourceAddress, let local = try? SocketAddress(ipAddress: sourceAddress, port: 0), !(host.hasPrefix("127.") == false && sourceAddress.hasPrefix("127.")) {
            bootstrap = bootstrap.bind(to: local)
        }
        bootstrap = bootstrap
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
        if let keepalive {
            bootstrap = bootstrap.channelOption(.socketOption(.so_keepalive), value: 1)
            #if os(Linux)
            if let time = keepalive.timeSeconds { bootstrap = bootstrap.channelOption(.socket(.init(IPPROTO_TCP), .init(TCP_KEEPIDLE)), value: time) }
            if let interval = keepalive.intervalSeconds { bootstrap = bootstrap.channelOption(.socket(.init(IPPROTO_TCP), .init(TCP_KEEPINTVL)), value: interval) }
            if let probes = keepalive.probes { bootstrap = bootstrap.channelOption(.socket(.init(IPPROTO_TCP), .init(TCP_KEEPCNT)), value: probes) }
            #endif
        }
        return bootstrap
    }

    /// Returns a connection after a complete keep-alive exchange.
    func release(_ channel: any Channel, host: String, port: Int) {
        eventLoop.preconditionInEventLoop()
        let key = "\(host):\(port)"
        if var entry = connections[ObjectIdentifier(channel)] {
            entry.served += 1
            connections[ObjectIdentifier(channel)] = entry
            // maxRequestsPerConnection: a used-up connection closes, and its slot serves the next waiter.
            if let limit = entry.limits.maxRequestsPerConnection, limit > 0, entry.served >= limit {
                channel.close(promise: nil)
                return
            }
            if var list = waiters[entry.cluster], let index = list.firstIndex(where: { $0.host == host && $0.port == port }), channel.isActive {
                let waiter = list.remove(at: index)
                waiters[entry.cluster] = list
                waiter.promise.succeed(channel)
                return
            }
            if let list = waiters[entry.cluster], !list.isEmpty {
                channel.close(promise: nil)
                return
            }
        }
        guard channel.isActive, idle[key, default: []].count < maximumIdlePerEndpoint else {
            channel.close(promise: nil)
            return
        }
        idle[key, default: []].append(channel)
        if let timeout = connections[ObjectIdentifier(channel)]?.limits.idleTimeoutMs, timeout > 0 {
            let cluster = connections[ObjectIdentifier(channel)]?.cluster ?? ""
            idleTimers[ObjectIdentifier(channel)] = eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(timeout))) { [weak self] in
                guard let self else { return }
                self.idleTimers.removeValue(forKey: ObjectIdentifier(channel))
                self.idle[key]?.removeAll { $0 === channel }
                self.stats?.increment(cluster: cluster, "upstream_cx_idle_timeout")
                channel.close(promise: nil)
            }
        }
    }

    /// Closes every idle connection (drain).
    func closeAll() {
        for channels in idle.values { for channel in channels { channel.close(promise: nil) } }
        idle = [:]
        for timer in idleTimers.values { timer.cancel() }
        idleTimers = [:]
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

/// A cluster's circuit-breaker limits (DestinationRule connectionPool); nil is unlimited.
public struct ConnectionLimits: Sendable, Equatable {
    public var maxConnections: Int?
    public var maxPendingRequests: Int?
    public var maxRequestsPerConnection: Int?
    public var maxRequests: Int?
    public var maxRetries: Int?
    public var idleTimeoutMs: Int?
    public var keepalive: TCPKeepalive?
    public static let none = ConnectionLimits()
    /// The limits a cluster's DestinationRule connectionPool sets (none for an unknown cluster).
    public init(_ cluster: ClusterConfig?) {
        self.init(maxConnections: cluster?.maxConnections, maxPendingRequests: cluster?.maxPendingRequests,
                  maxRequestsPerConnection: cluster?.maxRequestsPerConnection)
        maxRequests = cluster?.maxRequests
        maxRetries = cluster?.maxRetries
        idleTimeoutMs = cluster?.idleTimeoutMs
        keepalive = cluster?.tcpKeepalive
    }
    public init(maxConnections: Int? = nil, maxPendingRequests: Int? = nil, maxRequestsPerConnection: Int? = nil) {
        self.maxConnections = maxConnections
        self.maxPendingRequests = maxPendingRequests
        self.maxRequestsPerConnection = maxRequestsPerConnection
    }
}

/// One request or retry counted against its cluster's circuit breaker; the count drops when the
/// last holder lets go, whichever way the exchange ended. Lives on the pool's event loop.
final class InFlightSlot {
    /// What the slot counts.
    enum Kind { case request, retry }
    let kind: Kind
    let cluster: String
    private let pool: UpstreamConnectionPool

    fileprivate init(kind: Kind, cluster: String, pool: UpstreamConnectionPool) {
        self.kind = kind
        self.cluster = cluster
        self.pool = pool
    }

    deinit { pool.adjust(kind, cluster: cluster, by: -1) }
}
