import Testing
import WeftModel
@testable import WeftProxy

/// The downstream exchange's state machine alone, driven with strings for parts and upstreams: no
/// socket, no event loop. Each test is one story an HTTP connection can tell.
@Suite("server exchange state machine")
struct ServerExchangeStateMachineTests {
    typealias Machine = ServerExchangeStateMachine<String, String>
    static let retryResets = RoutePolicy.Retry(attempts: 2, perTryTimeoutMs: nil, retryOn: ["reset", "5xx"])

    /// A machine with a request decided, forwarded and attached to `upstream`.
    static func proxying(_ machine: inout Machine, retry: RoutePolicy.Retry? = nil, upstream: String = "u1", endBeforeAttach: Bool = false) {
        _ = machine.requestHead("head", keepAlive: true)
        machine.forward(retry: retry, mirrors: false)
        if endBeforeAttach { _ = machine.requestEnd("end") }
        _ = machine.attached(upstream)
    }

    @Test("a pipelined request waits, reads paused, until the first exchange is over; then it is handed back in order")
    func pipelining() {
        var machine = Machine()
        guard case .decide = machine.requestHead("head1", keepAlive: true) else { Issue.record("the first head is decided"); return }
        machine.forward(retry: nil, mirrors: false)
        let result1 = machine.requestEnd("end1")
        #expect(result1.isNone, "the end waits with the head for a connection")
        guard case .hold(pauseReads: true) = machine.requestHead("head2", keepAlive: true) else { Issue.record("the second request is held, reads paused"); return }
        guard case .hold(pauseReads: false) = machine.requestEnd("end2") else { Issue.record("held on, reads already paused"); return }
        guard case .writeRequest("u1", let parts, 1, nil) = machine.attached("u1") else { Issue.record("attached: the request is written"); return }
        #expect(parts == ["end1"], "what was read while connecting goes with the head")
        #expect(!machine.forwardsResponseBody() && machine.responseEnd() == nil, "no response yet: neither a body nor an end is forwarded")
        guard case .forwardResponseHead(keepAlive: true, retryLimit: .none) = machine.responseHead(status: 200, grpcStatus: nil) else { Issue.record("head forwarded"); return }
        guard let (upstream, after) = machine.responseEnd(), upstream == "u1", after == .ready(resumeHeld: true) else { Issue.record("over, with held requests to resume"); return }
        let result2 = machine.takeHeld()
        #expect(result2 == ["head2", "end2"])
        #expect(!machine.holdsRequests)
        guard case .decide = machine.requestHead("head2", keepAlive: true) else { Issue.record("the held request is handled next"); return }
    }

    @Test("a client closing mid-body tears down the attached upstream")
    func clientClosesMidBody() {
        var machine = Machine()
        Self.proxying(&machine)
        guard case .writeUpstream("body", "u1", requestComplete: nil) = machine.requestBody("body", bytes: 4) else { Issue.record("the body streams upstream"); return }
        let result3 = machine.downstreamClosed()
        #expect(result3 == "u1", "the upstream is handed back to be torn down")
        #expect(machine.attachedUpstream == nil)
        let result4 = machine.requestBody("late", bytes: 4)
        #expect(result4.isNone, "nothing more is done on a closed connection")
    }

    @Test("an upstream closing mid-body of its response closes the downstream connection; before its response it is a reset, retried")
    func upstreamClosesMidBody() {
        var started = Machine()
        Self.proxying(&started, retry: Self.retryResets, endBeforeAttach: true)
        _ = started.responseHead(status: 200, grpcStatus: nil)
        #expect(started.forwardsResponseBody(), "body forwarded")
        guard case .closeConnection(teardown: "u1") = started.upstreamClosed() else { Issue.record("after the head, only closing is honest"); return }

        var early = Machine()
        Self.proxying(&early, retry: Self.retryResets, endBeforeAttach: true)
        guard case .retry(attempt: 2, teardown: "u1") = early.upstreamClosed() else { Issue.record("a reset before the response is retried"); return }
        let result5 = early.awaitsConnection(attempt: 2)
        #expect(result5)
        guard case .writeRequest("u2", let parts, 2, nil) = early.attached("u2") else { Issue.record("the retry writes again"); return }
        #expect(parts == ["end"], "the whole request is replayed")
    }

    @Test("a route timeout during the request body answers, and the rest of the body is dropped before the next request")
    func timeoutDuringBody() {
        var machine = Machine()
        Self.proxying(&machine)
        _ = machine.requestBody("body", bytes: 4)
        guard case .answer(.discardRequestBody, keepAlive: true, teardown: "u1", retryLimit: .none) = machine.routeTimedOut() else { Issue.record("504 with the upstream torn down"); return }
        let result6 = machine.requestBody("more", bytes: 4)
        #expect(result6.isNone, "dropped")
        guard case .finished(.ready(resumeHeld: false)) = machine.requestEnd("end") else { Issue.record("the request's end makes the connection ready"); return }
        guard case .decide = machine.requestHead("next", keepAlive: true) else { Issue.record("the next request is handled"); return }
    }

    @Test("a retriable status is retried within the budget; without budget the response goes through, counted as overflow")
    func statusRetry() {
        var machine = Machine()
        Self.proxying(&machine, retry: Self.retryResets, endBeforeAttach: true)
        guard case .retry(attempt: 2, teardown: "u1") = machine.responseHead(status: 503, grpcStatus: nil) else { Issue.record("503 retried"); return }
        _ = machine.attached("u2")
        guard case .forwardResponseHead(keepAlive: true, retryLimit: .overflow) = machine.responseHead(status: 503, grpcStatus: nil, retryBudget: false) else {
            Issue.record("no budget: forwarded, counted")
            return
        }

        var spent = Machine()
        Self.proxying(&spent, retry: RoutePolicy.Retry(attempts: 1, perTryTimeoutMs: nil, retryOn: ["5xx"]), endBeforeAttach: true)
        _ = spent.responseHead(status: 503, grpcStatus: nil)
        _ = spent.attached("u2")
        guard case .forwardResponseHead(_, retryLimit: .exhausted) = spent.responseHead(status: 503, grpcStatus: nil) else { Issue.record("attempts spent: the answer goes through, flagged URX"); return }
    }

    @Test("a request not yet whole, or larger than the replay limit, is not retried")
    func noReplayNoRetry() {
        var open = Machine()
        Self.proxying(&open, retry: Self.retryResets)
        guard case .answer(.discardRequestBody, _, "u1", .none) = open.upstreamClosed() else { Issue.record("the body is still coming: answered"); return }

        var large = Machine(replayLimit: 8)
        Self.proxying(&large, retry: Self.retryResets)
        _ = large.requestBody("0123456789", bytes: 10)
        _ = large.requestEnd("end")
        guard case .answer(.ready, _, "u1", .none) = large.upstreamClosed() else { Issue.record("past the replay limit: answered"); return }
    }

    @Test("per-try timeouts count only for their own attempt")
    func perTry() {
        var machine = Machine()
        Self.proxying(&machine, retry: Self.retryResets, endBeforeAttach: true)
        let result7 = machine.perTryTimedOut(attempt: 2)
        #expect(result7.isNone, "another attempt's timer")
        guard case .retry(attempt: 2, _) = machine.perTryTimedOut(attempt: 1) else { Issue.record("retried"); return }
    }

    @Test("a delayed local answer drops the body; a client asking to close gets its connection closed after the answer")
    func delayedAnswer() {
        var machine = Machine()
        _ = machine.requestHead("head", keepAlive: false)
        machine.delayDecision(answering: true)
        #expect(machine.isDeciding)
        _ = machine.requestBody("body", bytes: 4)
        _ = machine.requestEnd("end")
        guard case .answer(.closeConnection, keepAlive: false, teardown: nil, _) = machine.answer() else { Issue.record("answered, then closed"); return }
        #expect(!machine.isDeciding)
    }

    @Test("mirrors get the whole request once, or hear it was too large")
    func mirrors() {
        var machine = Machine()
        _ = machine.requestHead("head", keepAlive: true)
        machine.forward(retry: nil, mirrors: true)
        guard case .writeRequest(_, _, _, nil) = machine.attached("u1") else { Issue.record("not whole yet: no mirror"); return }
        _ = machine.requestBody("body", bytes: 4)
        guard case .writeUpstream("end", "u1", requestComplete: .parts(let parts)?) = machine.requestEnd("end") else { Issue.record("whole: mirrored"); return }
        #expect(parts == ["body", "end"])

        var large = Machine(replayLimit: 2)
        _ = large.requestHead("head", keepAlive: true)
        large.forward(retry: nil, mirrors: true)
        _ = large.requestBody("body", bytes: 4)
        _ = large.requestEnd("end")
        guard case .writeRequest(_, _, _, .tooLarge?) = large.attached("u1") else { Issue.record("too large to mirror"); return }
    }

    @Test("the codec's order broken (a body without a head) closes; a malformed request may be answered only between responses")
    func protocolErrors() {
        var machine = Machine()
        guard case .close = machine.requestBody("body", bytes: 4) else { Issue.record("a body without a head"); return }
        var idle = Machine()
        let result8 = idle.malformedRequest()
        #expect(result8, "nothing under way: 400 may be written")
        var busy = Machine()
        Self.proxying(&busy)
        let result9 = busy.malformedRequest()
        #expect(!result9, "an upstream exchange is under way")
    }

    @Test("a connection that arrives for nobody is discarded")
    func strayConnection() {
        var machine = Machine()
        guard case .discardConnection("u9") = machine.attached("u9") else { Issue.record("no request waits"); return }
    }
}

extension ServerExchangeStateMachine.RequestPartAction {
    var isNone: Bool { if case .none = self { return true } else { return false } }
}

extension ServerExchangeStateMachine.ExchangeAction {
    var isNone: Bool { if case .none = self { return true } else { return false } }
}
