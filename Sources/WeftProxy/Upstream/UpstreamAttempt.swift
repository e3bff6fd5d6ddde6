import NIOCore
import NIOHTTP1
import WeftModel

/// One attempt at an upstream, the same sequence for a request's first try, each retry and each
/// mirror: pick an endpoint not tried yet → admit (the cluster's breaker) → take an idle
/// connection or open one → write the request. What happens to the connection after (released
/// or torn down) is the connection's own state machine (`UpstreamHandler`).
enum UpstreamAttempt {
    /// Istio's `hostSelectionRetryMaxAttempts`.
    static let hostSelectionAttempts = 5

    /// The endpoint of `request`'s cluster, picked again while it lands on one an earlier attempt
    /// used (Istio's previous_hosts predicate, at most 5 picks); 503 UH when there is none.
    static func pickEndpoint(_ step: PickEndpoint, _ request: inout RequestContext, tried: [String] = []) -> RequestDecision {
        let none = RequestDecision.respond(LocalResponse(status: 503, flag: "UH", body: "no healthy upstream"))
        var decision = none
        request.upstream = nil
        for _ in 0..<hostSelectionAttempts {
            decision = step.decide(&request) { context in context.upstream.map(RequestDecision.forward) ?? none }
            guard case .forward(let upstream) = decision, tried.contains("\(upstream.host):\(upstream.port)") else { return decision }
        }
        return decision
    }

    /// A request (or retry) counted against the cluster's maxRequests (maxRetries) while the slot
    /// is held; `.refused` when the limit is reached, `.unlimited` when the cluster sets none.
    enum Admission {
        case admitted(InFlightSlot)
        case unlimited
        case refused
    }

    static func admit(_ kind: InFlightSlot.Kind, _ upstream: RequestDecision.Upstream, pool: UpstreamConnectionPool) -> Admission {
        let limit = kind == .request ? upstream.connectionPool.maxRequests : upstream.connectionPool.maxRetries
        guard limit != nil else { return .unlimited }
        return pool.admit(kind, cluster: upstream.cluster, policy: upstream.connectionPool).map(Admission.admitted) ?? .refused
    }

    /// A connection to the upstream: an idle pooled one at once, or a future for a new one (or for
    /// a place in the cluster's pending queue; `PendingOverflow` when that is full).
    enum Connection {
        case ready(UpstreamHandler)
        case opening(EventLoopFuture<NIOLoopBound<UpstreamHandler>>)
    }

    static func connect(_ upstream: RequestDecision.Upstream, pool: UpstreamConnectionPool) -> Connection {
        if upstream.http2 {
            return .opening(pool.acquireStream(host: upstream.host, port: upstream.port, cluster: upstream.cluster, policy: upstream.connectionPool,
                                               connectTimeout: .milliseconds(Int64(upstream.connectTimeoutMs)), transport: upstream.transport))
        }
        if let idle = pool.takeIdle(host: upstream.host, port: upstream.port, cluster: upstream.cluster, transport: upstream.transport) { return .ready(idle) }
        return .opening(pool.acquire(host: upstream.host, port: upstream.port, cluster: upstream.cluster, policy: upstream.connectionPool,
                                     connectTimeout: .milliseconds(Int64(upstream.connectTimeoutMs)), transport: upstream.transport))
    }

    /// Writes the request on a leased connection: its head, then the parts read so far.
    static func write(_ head: ProxyRequestHead, parts: [ProxyRequestPart], to connection: UpstreamHandler, flush: Bool) {
        connection.writeHead(head)
        for part in parts {
            switch part {
            case .body(let buffer): connection.write(.body(.byteBuffer(buffer)))
            case .end(let trailers): connection.write(.end(trailers))
            case .head: break
            }
        }
        if flush { connection.flush(atTickEnd: true) }
    }
}
