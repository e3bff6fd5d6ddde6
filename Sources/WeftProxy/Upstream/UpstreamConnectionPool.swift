import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import WeftModel

/// Idle keep-alive connections to upstream endpoints, reused by later requests, and the requests
/// waiting for a connection of a cluster at its limit. Limits are the circuit breaker's; sockets
/// are made in `+Bootstrap`. Confined to the proxy's event loop: every call happens on `eventLoop`.
public final class UpstreamConnectionPool {
    let eventLoop: any EventLoop
    /// The pod IP: upstream connections leave from it, so peers see which workload calls.
    let sourceAddress: String?
    let inboundSourceAddress: String?
    /// Idle connections kept per endpoint (on this loop). Envoy keeps every one (its circuit
    /// breaker's maxConnections bounds them, unlimited in Istio); with 32, a client keeping more
    /// requests than that in flight had its extra connections closed on release and new ones
    /// opened for the next requests (a TLS handshake each with mutual TLS): at 64 in flight the
    /// pair answered 5 % of its throughput at 16. A closed connection leaves its list (`UpstreamHandler`).
    let maximumIdlePerEndpoint = 1024
    /// Counts idle timeouts (`upstream_cx_idle_timeout`) and TLS outcomes (`ssl.*`).
    let stats: ProxyStats?
    /// The workload certificate mutual TLS connections are made with.
    let certificates: WorkloadCertificates?
    /// TLS contexts of DestinationRule origination (SIMPLE, MUTUAL), made once per setting.
    var originationContexts: [UpstreamTLS: NIOSSLContext] = [:]
    /// Connections, pending requests, requests and retries per cluster, against their limits
    /// (shared with the proxy's other loops).
    let breaker: SharedCircuitBreaker
    /// The connection slots of each cluster this loop holds (opening or open).
    private var connectionSlots: [String: Int] = [:]
    /// Idle HTTP/1.1 connections by endpoint, each list oldest first (`+IdleSweep` closes them).
    var idle: [UpstreamPoolKey: IdleConnections] = [:]
    /// When idle connections are swept, and the idle timeout where a DestinationRule sets none.
    var idleSweep: IdleSweepClock
    /// The idle list the last take found (its key compared where the list holds it: a key kept
    /// here was copied out for each comparison, its three Strings retained and released).
    private var lastTakenList: IdleConnections?
    private var waiters: [String: [Waiter]] = [:]
    /// HTTP/2 connections by endpoint and transport, each shared by the streams of many requests (`+HTTP2`).
    var http2Connections: [UpstreamPoolKey: [HTTP2ConnectionSlot]] = [:]
    /// Kept-alive HTTP/1.1 connections to external authorizers (`ExternalAuthorization`).
    let authorizerConnections = IdleCheckConnections()

    /// A request waiting for a connection of its cluster (Envoy's pending request).
    private struct Waiter {
        var host: String
        var port: Int
        var policy: ConnectionPoolPolicy
        var connectTimeout: TimeAmount
        var transport: UpstreamTransport
        var promise: EventLoopPromise<NIOLoopBound<UpstreamHandler>>
    }

    /// The cluster's pending queue is full: the request is refused (503 UO).
    struct PendingOverflow: Error {}

    /// `inboundSourceAddress`: what connections to the app (`inbound|` clusters) come from; in
    /// transparent mode Istio's 127.0.0.6, which the capture rules let through to the app.
    /// `breaker`: the proxy's, shared by the pools of its loops. `idleSweep`: Envoy's (1 hour, a
    /// sweep each second) but in tests.
    public convenience init(eventLoop: any EventLoop, sourceAddress: String? = nil, stats: ProxyStats? = nil, certificates: WorkloadCertificates? = nil,
                            inboundSourceAddress: String? = nil, breaker: SharedCircuitBreaker = SharedCircuitBreaker()) {
        self.init(eventLoop: eventLoop, sourceAddress: sourceAddress, stats: stats, certificates: certificates, inboundSourceAddress: inboundSourceAddress,
                  breaker: breaker, idleSweep: IdleSweepClock())
    }

    init(eventLoop: any EventLoop, sourceAddress: String? = nil, stats: ProxyStats? = nil, certificates: WorkloadCertificates? = nil,
         inboundSourceAddress: String? = nil, breaker: SharedCircuitBreaker = SharedCircuitBreaker(), idleSweep: IdleSweepClock) {
        self.idleSweep = idleSweep
        self.eventLoop = eventLoop
        self.breaker = breaker
        self.sourceAddress = sourceAddress
        self.inboundSourceAddress = inboundSourceAddress
        self.stats = stats
        self.certificates = certificates
    }

    /// A request (or retry) counted against its cluster's limit while any holder keeps it; nil
    /// when the limit is reached (Envoy's max_requests and max_retries circuit breakers).
    func admit(_ kind: InFlightSlot.Kind, cluster: String, policy: ConnectionPoolPolicy) -> InFlightSlot? {
        eventLoop.preconditionInEventLoop()
        guard breaker.take(kind.resource, cluster: cluster, policy: policy) else { return nil }
        return InFlightSlot(kind: kind, cluster: cluster, pool: self)
    }

    /// An idle keep-alive connection to `host:port` over `transport`, if one is open.
    func takeIdle(host: String, port: Int, cluster: String, transport: UpstreamTransport = .plaintext) -> UpstreamHandler? {
        eventLoop.preconditionInEventLoop()
        let list: IdleConnections
        // Requests on a loop mostly go to the endpoint the last one went to: compared (without a
        // key made for it), not hashed.
        if let last = lastTakenList, last.key.matches(host: host, port: port, cluster: cluster, transport: transport) {
            list = last
        } else {
            let key = transport.poolKey(host: host, port: port, cluster: cluster)
            guard let found = idle[key] else { return nil }
            list = found
            lastTakenList = found
        }
        while let connection = list.connections.popLast() {
            guard connection.channel?.isActive == true else { continue }
            if let entry = connection.pooled, Self.outlived(entry.policy, opened: entry.opened) {
                stats?.increment(cluster: entry.cluster, "upstream_cx_max_duration_reached")
                connection.channel?.close(promise: nil)
                continue
            }
            return connection
        }
        return nil
    }

    /// An idle connection to `host:port`, or a new one (HTTP/1.1 client pipeline plus `UpstreamHandler`)
    /// while the cluster has fewer than `maxConnections` open; else the request waits in the cluster's
    /// pending queue, and past `maxPendingRequests` it fails with `PendingOverflow`, as Envoy's circuit breakers do.
    func acquire(host: String, port: Int, cluster: String, policy: ConnectionPoolPolicy = .unlimited, connectTimeout: TimeAmount,
                 transport: UpstreamTransport = .plaintext) -> EventLoopFuture<NIOLoopBound<UpstreamHandler>> {
        if let connection = takeIdle(host: host, port: port, cluster: cluster, transport: transport) { return eventLoop.makeSucceededFuture(NIOLoopBound(connection, eventLoop: eventLoop)) }
        if takeConnectionSlot(cluster: cluster, policy: policy) {
            return open(host: host, port: port, cluster: cluster, policy: policy, connectTimeout: connectTimeout, transport: transport)
        }
        guard breaker.take(.pending, cluster: cluster, policy: policy) else {
            return eventLoop.makeFailedFuture(PendingOverflow())
        }
        let promise = eventLoop.makePromise(of: NIOLoopBound<UpstreamHandler>.self)
        waiters[cluster, default: []].append(Waiter(host: host, port: port, policy: policy, connectTimeout: connectTimeout, transport: transport, promise: promise))
        return promise.futureResult
    }

    /// Opens a connection whose slot (`.connections`) the caller took; a TLS one is handed over
    /// once its handshake is done and the server's identity checked (`UpstreamTLSHandshake`).
    private func open(host: String, port: Int, cluster: String, policy: ConnectionPoolPolicy, connectTimeout: TimeAmount,
                      transport: UpstreamTransport) -> EventLoopFuture<NIOLoopBound<UpstreamHandler>> {
        let security: UpstreamSecurity?
        do {
            security = try upstreamSecurity(transport, carrying: .http1)
        } catch {
            // No workload certificate yet, or DestinationRule files that cannot be used.
            stats?.increment(cluster: cluster, error is NoWorkloadCertificate ? "ssl.no_certificate" : "ssl.context_error")
            releaseConnectionSlot(cluster: cluster)
            serveWaiter(cluster)
            return eventLoop.makeFailedFuture(error)
        }
        let handshake = security.map { UpstreamTLSHandshake(allowedNames: $0.allowedNames, timeout: connectTimeout, promise: eventLoop.makePromise()) }
        let source = cluster.hasPrefix("inbound|") ? inboundSourceAddress : nil
        // The initializer runs on this loop (the bootstrap's group is the pool's loop).
        let boundHandshake = handshake.map { NIOLoopBound($0, eventLoop: eventLoop) }
        let future = bootstrap(to: host, connectTimeout: connectTimeout, keepalive: policy.tcpKeepalive, source: source)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // No downstream ends to carry (Envoy's HTTP router has none without a PROXY listener filter).
                    if let version = policy.proxyProtocol {
                        try channel.pipeline.syncOperations.addHandler(UpstreamProxyProtocolWriter(UpstreamProxyProtocol(version: version)))
                    }
                    if let security, let handshake = boundHandshake?.value {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: security.context, serverHostname: security.serverName))
                        try channel.pipeline.syncOperations.addHandler(handshake)
                    }
                    // Forwarded on removal: after a 101 the bytes past the handshake belong to the splice.
                    // No outbound header check: each header was checked where it came from (the
                    // client's by the request decoder, configured ones by validation, a JWT claim's
                    // value by the authenticator), and checking every byte again cost ~2 % of a
                    // request's instructions.
                    _ = try UpstreamHandler.addHTTP1(to: channel.pipeline.syncOperations)
                }
            }
            .connect(host: host, port: port)
        let established: EventLoopFuture<any Channel>
        if let done = handshake?.handshakeDone {
            established = future.flatMap { channel in done.map { channel } }
        } else {
            established = future
        }
        return established.hop(to: eventLoop).assumeIsolated().flatMapErrorThrowing { error in
            if let failure = error as? UpstreamTLSHandshake.Failure { self.stats?.increment(cluster: cluster, failure.stat) }
            self.releaseConnectionSlot(cluster: cluster)
            self.serveWaiter(cluster)
            throw error
        }.flatMapThrowing { channel in
            guard let connection = UpstreamHandler.of(channel.pipeline.syncOperations) else {
                channel.close(promise: nil)
                self.releaseConnectionSlot(cluster: cluster)
                throw ChannelError.inappropriateOperationForState
            }
            connection.pool = self
            connection.host = host
            connection.port = port
            connection.poolKey = transport.poolKey(host: host, port: port, cluster: cluster)
            if handshake != nil { self.stats?.increment(cluster: cluster, "ssl.handshake") }
            connection.pooled = PooledConnection(cluster: cluster, policy: policy, opened: .now())
            channel.closeFuture.hop(to: self.eventLoop).assumeIsolated().whenComplete { _ in self.closed(connection) }
            return NIOLoopBound(connection, eventLoop: self.eventLoop)
        }.nonisolated()
    }

    private func closed(_ connection: UpstreamHandler) {
        guard let entry = connection.pooled.take() else { return }
        releaseConnectionSlot(cluster: entry.cluster)
        serveWaiter(entry.cluster)
    }

    /// One more connection of `cluster` for this loop, within maxConnections over every loop; a
    /// loop that holds none of the cluster's gets one whatever the limit, as each Envoy worker's
    /// pool does (so a request waits only where a connection of its own loop will come free).
    func takeConnectionSlot(cluster: String, policy: ConnectionPoolPolicy) -> Bool {
        let first = connectionSlots[cluster, default: 0] == 0 && (policy.maxConnections ?? 1) > 0
        guard breaker.take(.connections, cluster: cluster, policy: policy, anyway: first) else { return false }
        connectionSlots[cluster, default: 0] += 1
        return true
    }

    /// Gives back a connection slot this loop took.
    func releaseConnectionSlot(cluster: String) {
        guard let held = connectionSlots[cluster], held > 0 else { return }
        connectionSlots[cluster] = held == 1 ? nil : held - 1
        breaker.release(.connections, cluster: cluster)
    }

    private func dequeueWaiter(_ cluster: String, where matches: (Waiter) -> Bool = { _ in true }) -> Waiter? {
        // No waiter anywhere (the usual case): no lookup of the cluster's name.
        guard !waiters.isEmpty, var list = waiters[cluster], let index = list.firstIndex(where: matches) else { return nil }
        let waiter = list.remove(at: index)
        waiters[cluster] = list.isEmpty ? nil : list
        breaker.release(.pending, cluster: cluster)
        return waiter
    }

    /// A connection slot came free: the first waiting request gets a new connection.
    private func serveWaiter(_ cluster: String) {
        guard let first = waiters[cluster]?.first, takeConnectionSlot(cluster: cluster, policy: first.policy),
              let waiter = dequeueWaiter(cluster) else { return }
        open(host: waiter.host, port: waiter.port, cluster: cluster, policy: waiter.policy, connectTimeout: waiter.connectTimeout, transport: waiter.transport)
            .cascade(to: waiter.promise)
    }

    /// Returns a connection after a complete keep-alive exchange.
    func release(_ connection: UpstreamHandler) {
        eventLoop.preconditionInEventLoop()
        guard let channel = connection.channel else { return }
        let active = channel.isActive
        if let entry = connection.pooled {
            entry.served += 1
            // maxRequestsPerConnection: a used-up connection closes, and its slot serves the next waiter.
            if let limit = entry.policy.maxRequestsPerConnection, limit > 0, entry.served >= limit {
                channel.close(promise: nil)
                return
            }
            if Self.outlived(entry.policy, opened: entry.opened) {
                stats?.increment(cluster: entry.cluster, "upstream_cx_max_duration_reached")
                channel.close(promise: nil)
                return
            }
            if !waiters.isEmpty {
                let key = connection.poolKey
                if active, let waiter = dequeueWaiter(entry.cluster, where: { $0.transport.poolKey(host: $0.host, port: $0.port, cluster: entry.cluster) == key }) {
                    waiter.promise.succeed(NIOLoopBound(connection, eventLoop: eventLoop))
                    return
                }
                if waiters[entry.cluster]?.isEmpty == false {
                    // Requests wait for other endpoints of the cluster: free the slot for them.
                    channel.close(promise: nil)
                    return
                }
            }
        }
        guard active, keepIdle(connection) else {
            channel.close(promise: nil)
            return
        }
        // Stamped before a sweep is armed for it: a first one is a whole interval away.
        connection.idleSince = idleSweep.stamp
        if !idleSweep.armed { armIdleSweep(timeoutMs: connection.pooled?.policy.idleTimeoutMs) }
    }

    /// Adds `connection` to its endpoint's idle list unless the list is full. The list is found
    /// once per connection and remembered on it (each release was a hash of the key).
    private func keepIdle(_ connection: UpstreamHandler) -> Bool {
        let list: IdleConnections
        if let remembered = connection.idleList {
            list = remembered
        } else if let existing = idle[connection.poolKey] {
            list = existing
            connection.idleList = existing
        } else {
            list = IdleConnections(key: connection.poolKey)
            idle[connection.poolKey] = list
            connection.idleList = list
        }
        guard list.connections.count < maximumIdlePerEndpoint else { return false }
        list.connections.append(connection)
        return true
    }

    /// Whether a connection opened at `opened` has lived past the cluster's `maxConnectionDuration`.
    static func outlived(_ policy: ConnectionPoolPolicy, opened: NIODeadline) -> Bool {
        guard let limit = policy.maxConnectionDurationMs, limit > 0 else { return false }
        return NIODeadline.now() - opened >= .milliseconds(Int64(limit))
    }

    /// Closes every idle connection (drain). The lists are emptied: a connection and the list it
    /// remembers hold each other.
    func closeAll() {
        for list in idle.values {
            for connection in list.connections {
                connection.idleList = nil
                connection.channel?.close(promise: nil)
            }
            list.connections.removeAll()
        }
        idle = [:]
        lastTakenList = nil
    }

    deinit {
        for list in idle.values { list.connections.removeAll() }
    }
}

/// One endpoint's idle connections. A class: the pool's table is looked up once per take or
/// return and the list changed in place (a list taken out of the table and put back was two
/// lookups of its String key each time).
final class IdleConnections {
    /// The endpoint's key (constant: read where it is, not copied out).
    let key: UpstreamPoolKey
    var connections: [UpstreamHandler] = []

    init(key: UpstreamPoolKey) {
        self.key = key
    }
}
