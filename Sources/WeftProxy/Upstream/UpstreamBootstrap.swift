import NIOCore
import NIOPosix
import WeftModel

/// How a new upstream socket is made: its options set and its source address bound in the channel's
/// initializer, synchronously, and an endpoint given as an IP address connected to as such.
/// Through `ClientBootstrap`'s own options each option was set by a chain of futures, and
/// `connect(host:port:)` ran Happy Eyeballs (a resolver query for A and AAAA, its timers) even for
/// an address: ~30k and ~25k instructions for every new connection to an endpoint.
struct UpstreamBootstrap {
    private let bootstrap: ClientBootstrap
    /// The pod IP (or the inbound source address) to connect from; nil lets the kernel choose.
    let source: SocketAddress?
    let keepalive: TCPKeepalive?
    /// A plaintext splice reports the peer's half-close instead of closing.
    var halfClosure = false
    private var initializer: @Sendable (any Channel) -> EventLoopFuture<Void> = { $0.eventLoop.makeSucceededVoidFuture() }

    init(group: any EventLoop, connectTimeout: TimeAmount, resolver: any Resolver & Sendable, source: SocketAddress?, keepalive: TCPKeepalive?) {
        bootstrap = ClientBootstrap(group: group).connectTimeout(connectTimeout).resolver(resolver)
        self.source = source
        self.keepalive = keepalive
    }

    /// `body` adds the connection's handlers, after the socket is prepared.
    func channelInitializer(_ body: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>) -> UpstreamBootstrap {
        var copy = self
        copy.initializer = body
        return copy
    }

    func connect(host: String, port: Int) -> EventLoopFuture<any Channel> {
        let source = self.source, keepalive = self.keepalive, halfClosure = self.halfClosure, initializer = self.initializer
        let prepared = bootstrap.channelInitializer { channel in
            do {
                try Self.prepare(channel, keepalive: keepalive, halfClosure: halfClosure)
            } catch {
                return channel.eventLoop.makeFailedFuture(error)
            }
            // After SO_REUSEADDR: a source port in TIME_WAIT may be taken again.
            guard let source else { return initializer(channel) }
            return channel.bind(to: source).flatMap { initializer(channel) }
        }
        if let address = try? SocketAddress(ipAddress: host, port: port) { return prepared.connect(to: address) }
        return prepared.connect(host: host, port: port)
    }

    /// No Nagle, an address reusable as soon as a connection closes, the cluster's TCP keepalive.
    static func prepare(_ channel: any Channel, keepalive: TCPKeepalive?, halfClosure: Bool) throws {
        guard let options = channel.syncOptions else { return }
        try options.setOption(.socketOption(.so_reuseaddr), value: 1)
        try options.setOption(.tcpOption(.tcp_nodelay), value: 1)
        if halfClosure { try options.setOption(.allowRemoteHalfClosure, value: true) }
        guard let keepalive else { return }
        try options.setOption(.socketOption(.so_keepalive), value: 1)
        #if os(Linux)
        if let time = keepalive.timeSeconds { try options.setOption(.socket(.init(IPPROTO_TCP), .init(TCP_KEEPIDLE)), value: time) }
        if let interval = keepalive.intervalSeconds { try options.setOption(.socket(.init(IPPROTO_TCP), .init(TCP_KEEPINTVL)), value: interval) }
        if let probes = keepalive.probes { try options.setOption(.socket(.init(IPPROTO_TCP), .init(TCP_KEEPCNT)), value: probes) }
        #endif
    }
}
