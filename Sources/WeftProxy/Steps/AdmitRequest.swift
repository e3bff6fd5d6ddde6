import NIOCore
import WeftModel

/// The cluster's `http2MaxRequests` circuit breaker: a request beyond the requests in flight it
/// allows gets Envoy's 503 UO. The exchange takes the slot as it starts the attempt (on the same
/// event-loop turn, so the answer here still holds). Without a pool (a simulation) it admits all.
public struct AdmitRequest: RequestStep {
    let pool: NIOLoopBoundBox<UpstreamConnectionPool>?
    let stats: ProxyStats?

    public init(pool: NIOLoopBoundBox<UpstreamConnectionPool>? = nil, stats: ProxyStats? = nil) {
        self.pool = pool
        self.stats = stats
    }

    public func decide(_ context: inout RequestContext) -> RequestDecision? {
        // Read in place: most clusters set no limit, and then the upstream is not copied.
        guard context.upstream?.connectionPool.maxRequests != nil, let upstream = context.upstream else { return nil }
        if let pool, !pool.value.breaker.allows(.requests, cluster: upstream.cluster, policy: upstream.connectionPool) {
            // Envoy's max_requests breaker answers like a full pending queue.
            stats?.increment(cluster: upstream.cluster, "upstream_rq_pending_overflow")
            return .respond(LocalResponse(status: 503, flag: "UO", body: "upstream connect error or disconnect/reset before headers. reset reason: overflow"))
        }
        context.countsAgainstMaxRequests = true
        return nil
    }
}
