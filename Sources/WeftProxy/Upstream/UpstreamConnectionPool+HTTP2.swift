import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOSSL
import WeftModel

/// One HTTP/2 connection to an endpoint: each request opens a stream on it.
final class HTTP2UpstreamConnection {
    let channel: any Channel
    let multiplexer: NIOHTTP2Handler.StreamMultiplexer
    let goAway: HTTP2GoAwayWatcher

    init(channel: any Channel, multiplexer: NIOHTTP2Handler.StreamMultiplexer, goAway: HTTP2GoAwayWatcher) {
        self.channel = channel
        self.multiplexer = multiplexer
        self.goAway = goAway
    }
}

/// One endpoint's HTTP/2 connection, opening or open, and how many streams it carries now.
final class HTTP2ConnectionSlot {
    let connection: EventLoopFuture<HTTP2UpstreamConnection>
    let opened = NIODeadline.now()
    var streams = 0
    /// Past `maxConnectionDuration`: it takes no new stream and closes once its streams end.
    var retired = false
    /// The cluster's `idleTimeout` (nil: the pool's default), and the sweep clock when its last
    /// stream ended (`IdleSweepClock.stamp`).
    let idleTimeoutMs: Int?
    var idleSince: Int64 = 0

    init(_ connection: EventLoopFuture<HTTP2UpstreamConnection>, idleTimeoutMs: Int?) {
        self.connection = connection
        self.idleTimeoutMs = idleTimeoutMs
    }

    /// Closes a retired connection once its last stream has ended.
    func closeIfDone() {
        guard retired, streams == 0 else { return }
        connection.whenSuccess { $0.channel.close(promise: nil) }
    }
}

extension UpstreamConnectionPool {
    /// A new stream for one request on an HTTP/2 connection to the endpoint with room for it: one
    /// carrying fewer than the cluster's `maxConcurrentStreams`, else a new one (secured as
    /// `transport` says). Past the server's own SETTINGS limit NIO holds a stream until one ends.
    /// The stream carries the same `UpstreamHandler` as an HTTP/1.1 connection, behind NIO's
    /// HTTP/1 ↔ HTTP/2 codec; it is one exchange long and never pooled.
    func acquireStream(host: String, port: Int, cluster: String, policy: ConnectionPoolPolicy = .unlimited, connectTimeout: TimeAmount,
                       transport: UpstreamTransport) -> EventLoopFuture<NIOLoopBound<UpstreamHandler>> {
        let loop = eventLoop
        return openStream(host: host, port: port, cluster: cluster, policy: policy, connectTimeout: connectTimeout, transport: transport) { stream in
            try stream.pipeline.syncOperations.addHandlers([UpstreamStreamCodec(), UpstreamHandler()])
        }.flatMapThrowing { stream in
            let handler = try stream.pipeline.syncOperations.handler(type: UpstreamHandler.self)
            handler.isStream = true
            handler.host = host
            handler.port = port
            return NIOLoopBound(handler, eventLoop: loop)
        }
    }

    /// A new stream on an HTTP/2 connection to the endpoint with room for it (see `acquireStream`),
    /// with `initialize`'s handlers on it, on this loop; its first read already asked for.
    func openStream(host: String, port: Int, cluster: String, policy: ConnectionPoolPolicy = .unlimited, connectTimeout: TimeAmount,
                    transport: UpstreamTransport, initialize: @escaping @Sendable (any Channel) throws -> Void) -> EventLoopFuture<any Channel> {
        eventLoop.preconditionInEventLoop()
        let key = transport.poolKey(host: host, port: port, cluster: cluster)
        let limit = policy.maxConcurrentStreams.flatMap { $0 > 0 ? $0 : nil } ?? Int.max
        retireOutlived(key: key, cluster: cluster, policy: policy)
        let slot = http2Connections[key]?.first { $0.streams < limit } ?? openSlot(key: key, host: host, port: port, cluster: cluster, connectTimeout: connectTimeout,
                                                                                   transport: transport, policy: policy)
        slot.streams += 1
        let loop = eventLoop
        let stream = slot.connection.flatMap { opened -> EventLoopFuture<any Channel> in
            let promise = loop.makePromise(of: (any Channel).self)
            opened.multiplexer.createStreamChannel(promise: promise) { stream in
                stream.eventLoop.makeCompletedFuture { try initialize(stream) }
            }
            return promise.futureResult
        }
        return stream.hop(to: loop).assumeIsolated().flatMapErrorThrowing { error -> any Channel in
            self.streamEnded(on: slot)
            throw error
        }.map { stream in
            stream.closeFuture.hop(to: loop).assumeIsolated().whenComplete { _ in self.streamEnded(on: slot) }
            // A new stream takes its autoRead from the connection once active, but asks for no read
            // itself: the first read is asked for here (autoRead keeps asking after it).
            stream.read()
            return stream
        }.nonisolated()
    }

    /// A stream of `slot` ended: a retired connection closes once it has none, another goes idle.
    private func streamEnded(on slot: HTTP2ConnectionSlot) {
        slot.streams -= 1
        slot.closeIfDone()
        guard slot.streams == 0 else { return }
        slot.idleSince = idleSweep.stamp
        armIdleSweep(timeoutMs: slot.idleTimeoutMs)
    }

    /// Takes the endpoint's connections older than `maxConnectionDuration` out of use; each closes
    /// once its streams end (Envoy drains a connection at its max_connection_duration).
    private func retireOutlived(key: UpstreamPoolKey, cluster: String, policy: ConnectionPoolPolicy) {
        guard policy.maxConnectionDurationMs != nil, let slots = http2Connections[key] else { return }
        for slot in slots where Self.outlived(policy, opened: slot.opened) {
            stats?.increment(cluster: cluster, "upstream_cx_max_duration_reached")
            slot.retired = true
            http2Connections[key]?.removeAll { $0 === slot }
            slot.closeIfDone()
        }
        if http2Connections[key]?.isEmpty == true { http2Connections.removeValue(forKey: key) }
    }

    /// Opens another connection to the endpoint; it leaves the endpoint's list when it fails,
    /// closes or is drained by the server's GOAWAY (its streams run on, new ones go elsewhere).
    private func openSlot(key: UpstreamPoolKey, host: String, port: Int, cluster: String, connectTimeout: TimeAmount,
                          transport: UpstreamTransport, policy: ConnectionPoolPolicy) -> HTTP2ConnectionSlot {
        let slot = HTTP2ConnectionSlot(openHTTP2(host: host, port: port, cluster: cluster, connectTimeout: connectTimeout, transport: transport,
                                                 proxyProtocol: policy.proxyProtocol),
                                       idleTimeoutMs: policy.idleTimeoutMs)
        http2Connections[key, default: []].append(slot)
        let forget = { [weak self, weak slot] in
            guard let self, let slot else { return }
            self.http2Connections[key]?.removeAll { $0 === slot }
            if self.http2Connections[key]?.isEmpty == true { self.http2Connections.removeValue(forKey: key) }
        }
        // Made on this loop (the bootstrap's group is the pool's loop).
        slot.connection.assumeIsolated().whenComplete { result in
            switch result {
            case .success(let opened):
                opened.goAway.draining = { [weak self] in
                    self?.stats?.increment(cluster: cluster, "upstream_cx_close_notify")
                    forget()
                }
                opened.channel.closeFuture.hop(to: self.eventLoop).assumeIsolated().whenComplete { _ in forget() }
            case .failure:
                forget()
            }
        }
        return slot
    }

    /// The TCP (and TLS) connection with HTTP/2 on it, handed over once a TLS handshake is done
    /// and the server's identity checked. Nothing pushed by the server is taken.
    private func openHTTP2(host: String, port: Int, cluster: String, connectTimeout: TimeAmount,
                           transport: UpstreamTransport, proxyProtocol: ProxyProtocolVersion?) -> EventLoopFuture<HTTP2UpstreamConnection> {
        let stats = self.stats
        return connectSecured(host: host, port: port, cluster: cluster, connectTimeout: connectTimeout, transport: transport, carrying: .http2,
                              proxyProtocol: proxyProtocol.map { UpstreamProxyProtocol(version: $0) }) { channel in
            // In place before the connection is active, as NIO's own HTTP/2 clients set it up.
            try channel.pipeline.syncOperations.addHandler(NIOHTTP2Handler(mode: .client, eventLoop: channel.eventLoop,
                                                                           connectionConfiguration: ProxyConnectionPipeline.http2Connection) { pushed in pushed.close() })
            try channel.pipeline.syncOperations.addHandler(HTTP2GoAwayWatcher())
        }.flatMapThrowing { connection in
            let handler = try connection.channel.pipeline.syncOperations.handler(type: NIOHTTP2Handler.self)
            let goAway = try connection.channel.pipeline.syncOperations.handler(type: HTTP2GoAwayWatcher.self)
            stats?.increment(cluster: cluster, "upstream_cx_http2_total")
            return HTTP2UpstreamConnection(channel: connection.channel, multiplexer: try handler.syncMultiplexer(), goAway: goAway)
        }
    }
}

