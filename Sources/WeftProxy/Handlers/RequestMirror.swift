import NIOCore
import NIOHTTP1
import WeftModel

/// VirtualService `mirror`/`mirrors`: once a request is whole, a copy goes to an endpoint of each
/// mirror cluster (its share of requests, `mirrorPercentage`), with `-shadow` appended to the host as
/// Envoy does; fire and forget: the copy's answer is read and dropped, the caller never waits on it.
extension ProxyServerHandler {
    func mirror(_ exchange: Exchange) {
        guard !exchange.mirrored, exchange.requestDone, let route = exchange.request?.route, !route.policy.mirrors.isEmpty,
              let configuration = exchange.request?.configuration, let context else { return }
        exchange.mirrored = true
        guard let parts = exchange.replay else {
            listener.stats.increment("mirror.too_large")
            return
        }
        for target in route.policy.mirrors where FastRandom.chance(target.percent) {
            let endpoints = configuration.endpoints[target.cluster] ?? []
            guard !endpoints.isEmpty else {
                listener.stats.increment(cluster: target.cluster, "upstream_rq_mirror_no_healthy")
                continue
            }
            guard let endpoint = listener.balancer.pick(.init(cluster: configuration.clusters[target.cluster], clusterName: target.cluster), endpoints: endpoints) else {
                listener.stats.increment(cluster: target.cluster, "upstream_rq_mirror_no_healthy")
                continue
            }
            var head = ForwardedHeaders.request(exchange.requestHead, originForm: exchange.requestHead.uri,
                                                clientAddress: listener.appendForwardedFor ? context.channel.remoteAddress?.ipAddress : nil,
                                                scheme: listener.scheme, edits: exchange.upstream.headers)
            head.headers.replaceOrAdd(name: "host", value: Self.shadow(head.headers.first(name: "host") ?? exchange.request?.attributes.host ?? ""))
            listener.stats.increment(cluster: target.cluster, "upstream_rq_mirrored")
            let pool = listener.pool
            let cluster = configuration.clusters[target.cluster]
            pool.value.acquire(host: endpoint.address, port: endpoint.port, cluster: target.cluster, policy: cluster?.connectionPool ?? .unlimited,
                               connectTimeout: .milliseconds(Int64(cluster?.connectTimeoutMs ?? 10_000)))
                .hop(to: context.eventLoop)
                .assumeIsolated()
                .whenSuccess { channel in
                    MirrorSink.start(on: channel, pool: pool, host: endpoint.address, port: endpoint.port, head: head, parts: parts)
                }
        }
    }

    /// `httpbin:8000` → `httpbin-shadow:8000`.
    static func shadow(_ authority: String) -> String {
        if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]"), Int(authority[authority.index(after: colon)...]) != nil {
            return authority[..<colon] + "-shadow" + authority[colon...]
        }
        return authority + "-shadow"
    }
}

/// Owns an upstream connection for one mirrored request: writes it, drops the answer, and gives the
/// connection back to the pool when the answer has ended. Keeps itself alive until then.
final class MirrorSink: UpstreamHandler.Owner {
    private let pool: NIOLoopBoundBox<UpstreamConnectionPool>
    private let channel: any Channel
    private let host: String
    private let port: Int
    private var keepAlive = true
    private var retainedSelf: MirrorSink?

    private init(pool: NIOLoopBoundBox<UpstreamConnectionPool>, channel: any Channel, host: String, port: Int) {
        self.pool = pool
        self.channel = channel
        self.host = host
        self.port = port
    }

    static func start(on channel: any Channel, pool: NIOLoopBoundBox<UpstreamConnectionPool>, host: String, port: Int,
                      head: HTTPRequestHead, parts: [HTTPServerRequestPart]) {
        guard let handler = try? channel.pipeline.syncOperations.handler(type: UpstreamHandler.self) else {
            channel.close(promise: nil)
            return
        }
        let sink = MirrorSink(pool: pool, channel: channel, host: host, port: port)
        sink.retainedSelf = sink
        handler.owner = sink
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        for part in parts {
            switch part {
            case .body(let buffer): channel.write(HTTPClientRequestPart.body(.byteBuffer(buffer)), promise: nil)
            case .end(let trailers): channel.write(HTTPClientRequestPart.end(trailers), promise: nil)
            case .head: break
            }
        }
        channel.flush()
    }

    func upstreamReceived(_ part: HTTPClientResponsePart) {
        switch part {
        case .head(let head): keepAlive = head.isKeepAlive
        case .body: break
        case .end:
            if let handler = try? channel.pipeline.syncOperations.handler(type: UpstreamHandler.self) { handler.owner = nil }
            if keepAlive { pool.value.release(channel, host: host, port: port) } else { channel.close(promise: nil) }
            retainedSelf = nil
        }
    }

    func upstreamReadComplete() {}
    func upstreamClosed() { retainedSelf = nil }
    func upstreamProtocolError() { retainedSelf = nil }
    func upstreamWritabilityChanged(_ writable: Bool) {}
}
