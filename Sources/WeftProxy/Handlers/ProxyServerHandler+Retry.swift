import NIOCore
import NIOHTTP1
import WeftModel

/// Retries, as Envoy does them for Istio's `retries` (or Istio's default policy): a failed attempt
/// whose failure is one of `retryOn` is sent again, to an endpoint picked anew (one not tried yet
/// when the pick allows: Istio's previous_hosts predicate, up to 5 picks), after a jittered
/// backoff, while attempts remain and the whole request is kept for replay.
extension ProxyServerHandler {
    /// Request bytes kept per exchange for replay; a larger request is not retried (Envoy's buffer limit).
    static let replayLimit = 1 << 20

    /// Permission for one more attempt: nil when retries are spent or the cluster's maxRetries
    /// budget is (counted as `upstream_rq_retry_overflow`).
    struct RetryTicket {
        var slot: InFlightSlot?
    }

    /// Tries again after `failure` when the policy allows; false when the failure must be answered.
    func retry(_ exchange: Exchange, parts: [HTTPServerRequestPart]?, after failure: UpstreamFailure) -> Bool {
        guard let parts, let ticket = retryTicket(exchange, parts: parts, after: failure) else { return false }
        startRetry(exchange, parts: parts, ticket: ticket)
        return true
    }

    func retryTicket(_ exchange: Exchange, parts: [HTTPServerRequestPart]?, after failure: UpstreamFailure) -> RetryTicket? {
        guard context != nil, let policy = exchange.retry, exchange.attempt <= policy.attempts, policy.allows(failure),
              exchange.requestDone, parts != nil, exchange.request != nil else { return nil }
        guard exchange.upstream.connectionPool.maxRetries != nil else { return RetryTicket() }
        guard let slot = listener.pool.value.admit(.retry, cluster: exchange.upstream.cluster, policy: exchange.upstream.connectionPool) else {
            listener.stats.increment(cluster: exchange.upstream.cluster, "upstream_rq_retry_overflow")
            return nil
        }
        return RetryTicket(slot: slot)
    }

    private func startRetry(_ exchange: Exchange, parts: [HTTPServerRequestPart], ticket: RetryTicket) {
        guard let context, var request = exchange.request else { return }
        cancelPerTryTimeout()
        listener.stats.increment(cluster: exchange.upstream.cluster, "upstream_rq_retry")
        let next = exchange.nextAttempt(retrySlot: ticket.slot)
        state = .connecting(next, buffered: parts)
        let backoff = RoutePolicy.Retry.backoffMs(retry: exchange.attempt, roll: FastRandom.unit())
        context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(backoff))) { [weak self] in
            guard let self, let context = self.context, case .connecting(let pending, let buffered) = self.state, pending === next else { return }
            switch Self.pickUntried(PickEndpoint(balancer: self.listener.balancer), &request, tried: pending.triedEndpoints) {
            case .forward(let upstream):
                pending.upstream.host = upstream.host
                pending.upstream.port = upstream.port
                pending.upstream.endpointCount = upstream.endpointCount
            case .respond(let response):
                self.respondLocally(response, keepAlive: pending.keepAlive, requestDone: true, version: pending.requestHead.version, context: context)
                return
            }
            self.state = .connecting(pending, buffered: buffered)
            // A failed connect left reads paused; a pooled connection below would not resume them.
            context.channel.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
            self.connect(pending.upstream, context: context, insideRead: false)
        }
    }

    /// Istio's `hostSelectionRetryMaxAttempts`.
    static let hostSelectionAttempts = 5

    /// A fresh pick, again while it lands on an endpoint an earlier attempt used (at most 5 picks).
    static func pickUntried(_ step: PickEndpoint, _ request: inout RequestContext, tried: [String]) -> RequestDecision {
        var decision = RequestDecision.respond(LocalResponse(status: 503, flag: "UH", body: "no healthy upstream"))
        for _ in 0..<hostSelectionAttempts {
            decision = step.decide(&request, next: { _ in .respond(LocalResponse(status: 503, flag: "UH", body: "no healthy upstream")) })
            guard case .forward(let upstream) = decision, tried.contains("\(upstream.host):\(upstream.port)") else { return decision }
        }
        return decision
    }

    /// A response with a retriable status: dropped (its connection with it) and the request sent again.
    func retryAfterStatus(_ exchange: Exchange, upstream: any Channel, failure: UpstreamFailure) -> Bool {
        guard let ticket = retryTicket(exchange, parts: exchange.replay, after: failure), let parts = exchange.replay else { return false }
        listener.balancer.finished(exchange.upstream.host, exchange.upstream.port)
        if let handler = try? upstream.pipeline.syncOperations.handler(type: UpstreamHandler.self) { handler.owner = nil }
        upstream.close(promise: nil)
        startRetry(exchange, parts: parts, ticket: ticket)
        return true
    }

    /// The failure a response head is, when the policy retries it: its status, or (for a 200) its `grpc-status`.
    static func retriable(_ head: HTTPResponseHead, _ policy: RoutePolicy.Retry) -> UpstreamFailure? {
        let status = Int(head.status.code)
        if status != 200 { return policy.allows(.status(status)) ? .status(status) : nil }
        guard policy.retriesGRPC, let code = head.headers.first(name: "grpc-status").flatMap(Int.init), policy.allows(.grpcStatus(code)) else { return nil }
        return .grpcStatus(code)
    }

    func startPerTryTimeout(_ exchange: Exchange, context: ChannelHandlerContext) {
        cancelPerTryTimeout()
        guard let milliseconds = exchange.retry?.perTryTimeoutMs, milliseconds > 0 else { return }
        let attempt = exchange.attempt
        perTryTask = context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(milliseconds))) { [weak self] in
            self?.perTryTimedOut(attempt: attempt)
        }
    }

    func cancelPerTryTimeout() {
        perTryTask?.cancel()
        perTryTask = nil
    }

    /// No response within the per-try timeout: the attempt is abandoned; retried, or answered 504 UT.
    private func perTryTimedOut(attempt: Int) {
        perTryTask = nil
        guard let context, case .proxying(let exchange, let upstream) = state, exchange.attempt == attempt, !exchange.responseStarted else { return }
        listener.balancer.finished(exchange.upstream.host, exchange.upstream.port)
        if let handler = try? upstream.pipeline.syncOperations.handler(type: UpstreamHandler.self) { handler.owner = nil }
        upstream.close(promise: nil)
        listener.stats.increment(cluster: exchange.upstream.cluster, "upstream_rq_per_try_timeout")
        recordOutcome(.localFailure, of: exchange)
        if retry(exchange, parts: exchange.replay, after: .perTryTimeout) { return }
        respondLocally(LocalResponse(status: 504, flag: "UT", body: "upstream request timeout"),
                       keepAlive: exchange.keepAlive, requestDone: exchange.requestDone, version: exchange.requestHead.version, context: context)
    }
}
