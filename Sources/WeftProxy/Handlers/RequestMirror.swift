import NIOCore
import NIOHTTP1
import WeftTelemetry
import WeftModel

/// VirtualService `mirror`/`mirrors`: once a request is whole, a copy goes to an endpoint of each
/// mirror cluster MirrorRequest chose, through the same upstream attempt as the request itself, with
/// `-shadow` appended to the host as Envoy does; fire and forget: the copy's answer is read and
/// dropped, the caller never waits on it.
extension ProxyServerHandler {
    func sendMirrors(_ mirror: Machine.Mirror) {
        guard let exchange, let context else { return }
        guard case .parts(let parts) = mirror else {
            listener.stats.increment("mirror.too_large")
            return
        }
        // The copy carries the edits the request got (Envoy shadows the mutated request).
        let externalAddress = gatewayClientAddress(exchange, context: context)
        var head = ForwardedHeaders.request(exchange.requestHead, clientAddress: listener.appendForwardedFor ? peerAddress(context) : nil,
                                            scheme: listener.scheme, edits: exchange.upstream.headers, clientCertificate: clientCertificate,
                                            requestID: exchange.requestID, externalAddress: externalAddress)
        head.headers.remove(.peerMetadata)
        head.headers.replaceOrAdd("host", value: Self.shadow(head.headers.first("host") ?? exchange.request.attributes.host))
        let pool = listener.pool.value
        for cluster in exchange.request.mirrors {
            var request = exchange.request
            request.cluster = cluster
            guard case .forward(let upstream) = UpstreamAttempt.pickEndpoint(PickEndpoint(balancer: listener.balancer), &request) else {
                listener.stats.increment(cluster: cluster, "upstream_rq_mirror_no_healthy")
                continue
            }
            let admission = UpstreamAttempt.admit(.request, upstream, pool: pool)
            if case .refused = admission {
                listener.stats.increment(cluster: cluster, "upstream_rq_pending_overflow")
                continue
            }
            listener.stats.increment(cluster: cluster, "upstream_rq_mirrored")
            switch UpstreamAttempt.connect(upstream, pool: pool) {
            case .ready(let connection):
                MirrorSink.start(on: connection, head: head, parts: parts, admission: admission)
            case .opening(let future):
                future.hop(to: context.eventLoop).assumeIsolated().whenSuccess { connection in
                    MirrorSink.start(on: connection.value, head: head, parts: parts, admission: admission)
                }
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

/// Owns an upstream connection for one mirrored request: writes it, drops the answer, and ends the
/// exchange when the answer has (the connection then goes back to the pool or closes). Keeps itself
/// alive until then, and with it the request's breaker slot.
final class MirrorSink: UpstreamHandler.Owner {
    private let connection: UpstreamHandler
    private let admission: UpstreamAttempt.Admission
    private var retainedSelf: MirrorSink?

    private init(connection: UpstreamHandler, admission: UpstreamAttempt.Admission) {
        self.connection = connection
        self.admission = admission
    }

    static func start(on connection: UpstreamHandler, head: ProxyRequestHead, parts: [ProxyRequestPart], admission: UpstreamAttempt.Admission) {
        let sink = MirrorSink(connection: connection, admission: admission)
        sink.retainedSelf = sink
        connection.lease(to: sink)
        UpstreamAttempt.write(head, parts: parts, to: connection, flush: true)
    }

    func upstreamReceived(_ part: consuming ProxyResponsePart) {
        guard case .end = part else { return }
        connection.finish()
        retainedSelf = nil
    }

    func upstreamReadComplete() {}
    func upstreamClosed(refused: Bool) { retainedSelf = nil }
    func upstreamProtocolError() { retainedSelf = nil }
    func upstreamWritabilityChanged(_ writable: Bool) {}
}
