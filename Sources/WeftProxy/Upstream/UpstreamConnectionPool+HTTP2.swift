import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOSSL

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

extension UpstreamConnectionPool {
    /// A new stream for one request on the endpoint's HTTP/2 connection (opened first, secured as
    /// `transport` says, when there is none). The stream carries the same `UpstreamHandler` as an
    /// HTTP/1.1 connection, behind NIO's HTTP/1 ↔ HTTP/2 codec; it is one exchange long and never pooled.
    func acquireStream(host: String, port: Int, cluster: String, connectTimeout: TimeAmount,
                       transport: UpstreamTransport) -> EventLoopFuture<NIOLoopBound<UpstreamHandler>> {
        eventLoop.preconditionInEventLoop()
        let key = transport.poolKey(host: host, port: port)
        let connection: EventLoopFuture<HTTP2UpstreamConnection>
        if let existing = http2Connections[key] {
            connection = existing
        } else {
            connection = openHTTP2(host: host, port: port, cluster: cluster, connectTimeout: connectTimeout, transport: transport)
            http2Connections[key] = connection
            connection.hop(to: eventLoop).assumeIsolated().whenComplete { result in
                switch result {
                case .success(let opened):
                    let current = connection
                    // Removed only if it is still the one in the map (a GOAWAY may have replaced it already).
                    let forget = { [weak self] in
                        guard let self, self.http2Connections[key] === current else { return }
                        self.http2Connections.removeValue(forKey: key)
                    }
                    opened.goAway.draining = { [weak self] in
                        self?.stats?.increment(cluster: cluster, "upstream_cx_close_notify")
                        forget()
                    }
                    opened.channel.closeFuture.hop(to: self.eventLoop).assumeIsolated().whenComplete { _ in forget() }
                case .failure:
                    self.http2Connections.removeValue(forKey: key)
                }
            }
        }
        let loop = eventLoop
        return connection.flatMap { opened in
            let promise = loop.makePromise(of: (any Channel).self)
            opened.multiplexer.createStreamChannel(promise: promise) { stream in
                stream.eventLoop.makeCompletedFuture {
                    try stream.pipeline.syncOperations.addHandlers([HTTP2FramePayloadToHTTP1ClientCodec(httpProtocol: .http), UpstreamHandler()])
                }
            }
            return promise.futureResult
        }.flatMapThrowing { stream in
            let handler = try stream.pipeline.syncOperations.handler(type: UpstreamHandler.self)
            // A new stream takes its autoRead from the connection once active, but asks for no read
            // itself: the first read is asked for here (autoRead keeps asking after it).
            stream.read()
            handler.isStream = true
            handler.host = host
            handler.port = port
            return NIOLoopBound(handler, eventLoop: loop)
        }
    }

    /// The TCP (and TLS) connection with HTTP/2 on it, handed over once a TLS handshake is done
    /// and the server's identity checked. Nothing pushed by the server is taken.
    private func openHTTP2(host: String, port: Int, cluster: String, connectTimeout: TimeAmount,
                           transport: UpstreamTransport) -> EventLoopFuture<HTTP2UpstreamConnection> {
        let stats = self.stats
        return connectSecured(host: host, port: port, cluster: cluster, connectTimeout: connectTimeout, transport: transport, carrying: .http2) { channel in
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

