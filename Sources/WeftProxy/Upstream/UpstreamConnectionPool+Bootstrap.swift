import NIOCore
import NIOPosix
import WeftModel

/// How upstream sockets are made: from the pod IP, no Nagle, and the cluster's TCP keepalive.
extension UpstreamConnectionPool {
    /// A plain TCP connection for a `CONNECT` tunnel (never pooled).
    func connectTunnel(host: String, port: Int, connectTimeout: TimeAmount) -> EventLoopFuture<any Channel> {
        eventLoop.preconditionInEventLoop()
        return bootstrap(to: host, connectTimeout: connectTimeout).connect(host: host, port: port)
    }

    func bootstrap(to host: String, connectTimeout: TimeAmount, keepalive: TCPKeepalive? = nil) -> ClientBootstrap {
        var bootstrap = ClientBootstrap(group: eventLoop)
        // A loopback pod IP can only reach loopback peers: bind it only then.
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
}
