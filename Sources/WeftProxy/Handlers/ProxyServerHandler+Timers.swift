import NIOCore
import NIOHTTP1
import WeftModel

/// The plan's timed parts: a fault delay (the decision waits), the route timeout (504 UT when the
/// upstream has not answered in time) and each attempt's per-try timeout. Each timer's firing is
/// one machine input.
extension ProxyServerHandler {
    /// Holds `decision` for `milliseconds`. A forward keeps the request's parts (reads paused, so
    /// nothing piles up); a local answer drops them.
    func delay(_ decision: RequestDecision, by milliseconds: Int, head: ProxyRequestHead, request: RequestContext, context: ChannelHandlerContext) {
        listener.stats.increment("fault.delays_injected")
        let answering: Bool
        if case .respond = decision { answering = true } else { answering = false }
        machine.delayDecision(answering: answering)
        if !answering { setReading(false) }
        // Timers hold the handler strongly until they fire or are cancelled (see `ProxyServerHandler`).
        context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(milliseconds))) {
            guard self.context != nil, self.machine.isDeciding else { return }
            self.carryOut(decision, head: head, request: request)
        }
    }

    /// The route timeout, or a gRPC caller's `grpc-timeout` when it comes first: Istio's routes say
    /// `maxStreamDuration: {grpcTimeoutHeaderMax: 0s}`, so Envoy holds a call to the deadline its
    /// caller sent, whatever the route's timeout.
    /// `grpcTimeout`: a gRPC call's `grpc-timeout` header, when it has one.
    func startTimeout(_ milliseconds: Int?, grpcTimeout: String?) {
        let deadline = grpcTimeout.flatMap(GRPCLocalReply.timeoutMilliseconds)
        let route = milliseconds.flatMap { $0 > 0 ? $0 : nil }
        // Without an array (`[route, deadline].compactMap(...).min()` was ~250 instructions a request).
        let chosen: Int
        switch (route, deadline) {
        case (nil, nil): return
        case (let route?, nil): chosen = route
        case (nil, let deadline?): chosen = deadline
        case (let route?, let deadline?): chosen = Swift.min(route, deadline)
        }
        guard let context else { return }
        let callerDeadline = deadline == chosen && route != chosen
        timeoutTask = context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(chosen))) {
            if self.context != nil { self.timedOut(callerDeadline: callerDeadline) }
        }
    }

    func cancelTimeouts() {
        timeoutTask?.cancel()
        timeoutTask = nil
        cancelPerTryTimeout()
    }

    /// Envoy's route timeout: before the response starts, 504 "upstream request timeout" (flag UT) and the
    /// upstream connection is dropped; after, the downstream connection is closed. A gRPC caller's
    /// deadline is Envoy's max stream duration: 408 `DEADLINE_EXCEEDED` (flag DT).
    private func timedOut(callerDeadline: Bool) {
        timeoutTask = nil
        guard let exchange else { return }
        if callerDeadline {
            listener.stats.increment("downstream_rq_max_duration_reached")
        } else {
            listener.stats.increment(cluster: exchange.upstream.cluster, "upstream_rq_timeout")
        }
        if machine.attachedUpstream != nil, !machine.responseStarted { recordOutcome(.localFailure, of: exchange) }
        let answer = callerDeadline ? LocalResponse(status: 408, flag: "DT", body: "downstream duration timeout", grpcStatus: 4)
            : LocalResponse(status: 504, flag: "UT", body: "upstream request timeout")
        perform(machine.routeTimedOut(), answer: answer)
    }

    func startPerTryTimeout(milliseconds: Int?, attempt: Int) {
        cancelPerTryTimeout()
        guard let context, let milliseconds, milliseconds > 0 else { return }
        perTryTask = context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(milliseconds))) {
            if self.context != nil { self.perTryTimedOut(attempt: attempt) }
        }
    }

    func cancelPerTryTimeout() {
        perTryTask?.cancel()
        perTryTask = nil
    }

    /// No response within the per-try timeout: the attempt is abandoned; retried, or answered 504 UT.
    private func perTryTimedOut(attempt: Int) {
        perTryTask = nil
        guard let exchange else { return }
        let action = machine.perTryTimedOut(attempt: attempt, retryBudget: retryBudget(exchange))
        if case .none = action { return }
        listener.stats.increment(cluster: exchange.upstream.cluster, "upstream_rq_per_try_timeout")
        recordOutcome(.localFailure, of: exchange)
        perform(action, answer: LocalResponse(status: 504, flag: "UT", body: "upstream request timeout"))
    }
}
