/// One request or retry counted against its cluster's circuit breaker; the count drops when the
/// last holder lets go, whichever way the exchange ended. Lives on the pool's event loop.
final class InFlightSlot {
    /// What the slot counts.
    enum Kind {
        case request, retry

        var resource: CircuitBreaker.Resource { self == .request ? .requests : .retries }
    }

    let kind: Kind
    let cluster: String
    private let pool: UpstreamConnectionPool

    init(kind: Kind, cluster: String, pool: UpstreamConnectionPool) {
        self.kind = kind
        self.cluster = cluster
        self.pool = pool
    }

    deinit { pool.breaker.release(kind.resource, cluster: cluster) }
}
