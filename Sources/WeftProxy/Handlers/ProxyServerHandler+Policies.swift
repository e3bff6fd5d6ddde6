import NIOCore
import NIOHTTP1

/// The time-based route policies of an exchange: fault delays (the decision waits) and the route
/// timeout (504 UT when the upstream has not answered in time).
extension ProxyServerHandler {
    /// Holds `decision` for `milliseconds`. A forward keeps the request's parts (reads paused, so
    /// nothing piles up); a local answer drops them.
    func delay(_ decision: RequestDecision, by milliseconds: Int, head: HTTPRequestHead, context: ChannelHandlerContext, request: RequestContext) {
        listener.stats.increment("fault.delays_injected")
        switch decision {
        case .forward(let upstream):
            state = .connecting(Exchange(requestHead: head, upstream: upstream, keepAlive: head.isKeepAlive), buffered: [])
            context.channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in }
        case .respond:
            state = .delayed(keepAlive: head.isKeepAlive, requestDone: false)
        }
        context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(milliseconds))) { [weak self] in
            guard let self, let context = self.context else { return }
            switch self.state {
            case .connecting, .delayed: break
            default: return
            }
            if case .forward = decision { context.channel.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in } }
            self.carryOut(decision, head: head, context: context, insideRead: false, request: request)
        }
    }

    func startTimeout(_ upstream: RequestDecision.Upstream, context: ChannelHandlerContext) {
        guard let milliseconds = upstream.timeoutMs, milliseconds > 0 else { return }
        timeoutTask = context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(milliseconds))) { [weak self] in
            self?.timedOut()
        }
    }

    func cancelTimeout() {
        timeoutTask?.cancel()
        timeoutTask = nil
        cancelPerTryTimeout()
    }

    /// Envoy's route timeout: before the response starts, 504 "upstream request timeout" (flag UT) and the
    /// upstream connection is dropped; after, the downstream stream is reset.
    private func timedOut() {
        timeoutTask = nil
        guard let context else { return }
        let exchange: Exchange
        switch state {
        case .connecting(let waiting, _):
            exchange = waiting
        case .proxying(let active, let upstream):
            exchange = active
            listener.balancer.finished(active.upstream.host, active.upstream.port)
            if let handler = try? upstream.pipeline.syncOperations.handler(type: UpstreamHandler.self) { handler.owner = nil }
            upstream.close(promise: nil)
        default:
            return
        }
        listener.stats.increment(cluster: exchange.upstream.cluster, "upstream_rq_timeout")
        if case .proxying = state, !exchange.responseStarted { recordOutcome(.localFailure, of: exchange) }
        if exchange.responseStarted {
            state = .closed
            context.close(promise: nil)
            return
        }
        context.channel.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
        respondLocally(LocalResponse(status: 504, flag: "UT", body: "upstream request timeout"),
                       keepAlive: exchange.keepAlive, requestDone: exchange.requestDone, version: exchange.requestHead.version, context: context)
        context.read()
    }
}
