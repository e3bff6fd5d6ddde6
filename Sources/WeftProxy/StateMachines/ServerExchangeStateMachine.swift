import WeftModel

/// The downstream side of a proxied connection, one request and its answer at a time: where the
/// request is (deciding, waiting for an upstream, proxied, answered locally), which of its parts
/// wait, which are kept for a retry, and what each event on either side means. Each input returns
/// the action the handler carries out; nothing here touches a socket.
///
/// It works on parts, not on HTTP/1.1: `Part` is whatever the codec delivers (an HTTP/1.1 request
/// part today, an HTTP/2 frame's payload later) and `Upstream` whatever names the attached
/// connection. Heads are never looked into: the handler passes what the machine needs (keep-alive,
/// a response's status) as values, so a head may stay bytes.
struct ServerExchangeStateMachine<Part, Upstream> {
    private enum State {
        case idle
        /// The steps are deciding (a fault delay may hold the decision).
        case deciding
        /// Waiting for an upstream connection, or for a retry's backoff.
        case connecting
        case proxying(upstream: Upstream, responseStarted: Bool)
        /// Answered before the request ended: the rest of its body is dropped.
        case discarding
        /// A `CONNECT` took the connection over; HTTP is done on it.
        case tunnelling
        case closed
    }

    private var state = State.idle
    private var request = Request()
    /// Parts of later requests a client pipelined while this one was in flight.
    private var held: [Part] = []
    /// The last request's replay array, emptied, for the next one: its buffer was allocated and
    /// freed for every request (~500 instructions), most holding a body part and an end.
    private var replaySpare: [Part]?
    /// Spare arrays up to this many parts are kept (what an idle connection holds).
    private static var replaySpareLimit: Int { 4 }
    /// Request bytes kept per exchange for a retry or mirror (Envoy's buffer limit).
    let replayLimit: Int

    init(replayLimit: Int = 1 << 20) {
        self.replayLimit = replayLimit
    }

    // MARK: the downstream request

    mutating func requestHead(_ part: consuming Part, keepAlive: Bool) -> RequestPartAction {
        if holdsIfPipelined { return hold(part) }
        switch state {
        case .idle:
            state = .deciding
            request = Request(keepAlive: keepAlive, replay: replaySpare.take() ?? [])
            return .decide(part)
        case .deciding, .connecting, .proxying, .discarding:
            // A head while the current request is still open: the codec never delivers that.
            state = .closed
            return .close
        case .tunnelling, .closed:
            return .none
        }
    }

    mutating func requestBody(_ part: consuming Part, bytes: Int) -> RequestPartAction {
        read(part, bytes: bytes, ends: false)
    }

    mutating func requestEnd(_ part: consuming Part) -> RequestPartAction {
        read(part, bytes: 0, ends: true)
    }

    /// A body part or the end of the request in flight: kept while no upstream is attached,
    /// streamed when one is, dropped after a local answer.
    private mutating func read(_ part: consuming Part, bytes: Int, ends: Bool) -> RequestPartAction {
        if holdsIfPipelined { return hold(part) }
        switch state {
        case .idle:
            state = .closed
            return .close
        case .deciding, .connecting:
            request.read(part, bytes: bytes, ends: ends, limit: replayLimit)
            return .none
        case .proxying(let upstream, _):
            if ends { request.ended = true }
            request.remember(part, bytes: bytes, limit: replayLimit)
            return .writeUpstream(part, upstream, requestComplete: ends ? request.mirrorOnce() : nil)
        case .discarding:
            return ends ? .finished(finish()) : .none
        case .tunnelling, .closed:
            return .none
        }
    }

    /// Whether the part now read belongs to a later request than the one in flight; then it waits, in order.
    private var holdsIfPipelined: Bool {
        switch state {
        case .tunnelling, .closed: return false
        case .idle, .discarding: return !held.isEmpty
        case .deciding, .connecting, .proxying: return !held.isEmpty || request.ended
        }
    }

    private mutating func hold(_ part: consuming Part) -> RequestPartAction {
        held.append(part)
        return .hold(pauseReads: held.count == 1)
    }

    /// The held parts, handed back once the connection is ready for them (they are fed in again).
    mutating func takeHeld() -> [Part] {
        guard case .idle = state else { return [] }
        defer { held = [] }
        return held
    }

    /// Whether later requests wait (reads stay paused until they are handled).
    var holdsRequests: Bool { !held.isEmpty }

    // MARK: the steps' decision

    /// The decision waits out a fault delay; a local answer drops the body meanwhile.
    mutating func delayDecision(answering: Bool) {
        guard case .deciding = state, answering else { return }
        request.dropsBody = true
        request.pending = []
        request.replay = nil
    }

    /// While a decision is awaited: the parts of the request read so far, and whether it has ended
    /// (an external check that carries the body waits for them).
    var partsWhileDeciding: (parts: [Part], ended: Bool)? {
        guard case .deciding = state, !request.dropsBody else { return nil }
        return (request.pending, request.ended)
    }

    /// Whether a decision is still awaited (a delay's timer finds the connection as it was left).
    var isDeciding: Bool {
        if case .deciding = state { return true }
        return false
    }

    /// The request goes upstream under this retry policy; the handler connects next. Parts are
    /// kept for replay only when a retry or a mirror may need them.
    mutating func forward(retry: RoutePolicy.Retry?, mirrors: Bool) {
        guard case .deciding = state else { return }
        request.retry = retry
        request.mirrors = mirrors
        if retry == nil && !mirrors { request.replay = nil }
        state = .connecting
    }

    /// A `CONNECT` takes the connection over.
    mutating func tunnel() {
        if case .deciding = state { state = .tunnelling }
    }

    /// Answer locally now: the steps' answer, an overflow, a timeout or an attempt's failure that
    /// will not be retried. Tears down an attached upstream. `closing`: the connection closes
    /// after the answer whatever the client asked.
    mutating func answer(closing: Bool = false) -> ExchangeAction {
        let teardown: Upstream?
        switch state {
        case .deciding, .connecting:
            teardown = nil
        case .proxying(let upstream, let started):
            if started {
                state = .closed
                return .closeConnection(teardown: upstream)
            }
            teardown = upstream
        case .idle, .discarding, .tunnelling, .closed:
            return .none
        }
        if closing { request.keepAlive = false }
        return .answer(finishAnswered(), keepAlive: request.keepAlive, teardown: teardown, retryLimit: .none)
    }

    // MARK: the upstream attempt

    /// Waiting for a connection to this attempt (a retry's backoff timer checks it is still wanted).
    func awaitsConnection(attempt: Int) -> Bool {
        if case .connecting = state { return request.attempt == attempt }
        return false
    }

    mutating func attached(_ upstream: Upstream) -> ExchangeAction {
        switch state {
        case .connecting:
            let parts = request.pending
            request.pending = []
            state = .proxying(upstream: upstream, responseStarted: false)
            return .writeRequest(upstream, parts: parts, attempt: request.attempt, requestComplete: request.mirrorOnce())
        case .idle, .deciding, .proxying, .discarding, .tunnelling, .closed:
            return .discardConnection(upstream)
        }
    }

    /// The attempt failed before its response began (connect failure, reset, per-try timeout):
    /// retried when the policy allows, the whole request was kept and `retryBudget` (the cluster's
    /// maxRetries) has room, else answered. After the response began, the connection closes.
    mutating func attemptFailed(_ failure: UpstreamFailure, retryBudget: Bool = true) -> ExchangeAction {
        let teardown: Upstream?
        switch state {
        case .connecting:
            teardown = nil
        case .proxying(let upstream, let started):
            if started {
                state = .closed
                return .closeConnection(teardown: upstream)
            }
            teardown = upstream
        case .idle, .deciding, .discarding, .tunnelling, .closed:
            return .none
        }
        let retriable = canRetry(after: failure)
        if retriable && retryBudget { return retry(teardown: teardown) }
        let limit: RetryLimit = retriable ? .overflow : (retriesExhausted(after: failure) ? .exhausted : .none)
        return .answer(finishAnswered(), keepAlive: request.keepAlive, teardown: teardown, retryLimit: limit)
    }

    /// The per-try timeout of `attempt` passed.
    mutating func perTryTimedOut(attempt: Int, retryBudget: Bool = true) -> ExchangeAction {
        guard case .proxying(_, false) = state, request.attempt == attempt else { return .none }
        return attemptFailed(.perTryTimeout, retryBudget: retryBudget)
    }

    /// The upstream's response head: forwarded, or (a retriable status) dropped and the request retried.
    mutating func responseHead(status: Int, grpcStatus: Int?, retryBudget: Bool = true) -> ExchangeAction {
        guard case .proxying(let upstream, false) = state else { return .none }
        var limit = RetryLimit.none
        if let policy = request.retry, let failure = Self.retriable(status: status, grpcStatus: grpcStatus, policy) {
            if canRetry(after: failure) {
                if retryBudget { return retry(teardown: upstream) }
                limit = .overflow
            } else if retriesExhausted(after: failure) {
                limit = .exhausted
            }
        }
        state = .proxying(upstream: upstream, responseStarted: true)
        return .forwardResponseHead(keepAlive: request.keepAlive, retryLimit: limit)
    }

    /// A part of the response's body goes downstream. (A Bool and an optional pair here, not
    /// `ExchangeAction`s: each action returned was destroyed through its type's value witness,
    /// ~100 instructions, for every part of every response.)
    func forwardsResponseBody() -> Bool {
        guard case .proxying(_, true) = state else { return false }
        return true
    }

    /// The response ended: the upstream's exchange is over (its connection decides whether it is
    /// reused), then `after`; nil when no response was being forwarded.
    mutating func responseEnd() -> (upstream: Upstream, after: AfterAnswer)? {
        guard case .proxying(let upstream, true) = state else { return nil }
        return (upstream, finishAnswered())
    }

    /// The connection closes once this exchange is answered, whatever the client asked (an upgrade
    /// request: the codec reads no more HTTP after it).
    mutating func closeAfterExchange() {
        request.keepAlive = false
    }

    /// The listener drains: true when nothing is in flight or held (the connection closes now),
    /// else the exchange in flight is the last (its answer says `Connection: close`).
    mutating func drain() -> Bool {
        if case .idle = state, held.isEmpty { return true }
        request.keepAlive = false
        held = []
        return false
    }

    /// The upstream's 101 to an upgrade request ended: HTTP is done on both connections, which
    /// are spliced from here. Returns the upstream to splice to.
    mutating func upgraded() -> Upstream? {
        guard case .proxying(let upstream, true) = state else { return nil }
        state = .tunnelling
        return upstream
    }

    /// The upstream closed: before the response, a reset (retried or 503 UC); during it, the
    /// downstream connection closes too.
    mutating func upstreamClosed(refused: Bool = false, retryBudget: Bool = true) -> ExchangeAction {
        attemptFailed(refused ? .refusedStream : .reset, retryBudget: retryBudget)
    }

    /// The upstream spoke something other than HTTP: 502 UPE, never retried.
    mutating func upstreamProtocolError() -> ExchangeAction {
        answer()
    }

    /// The route timeout passed: 504 UT before the response, a closed connection after.
    mutating func routeTimedOut() -> ExchangeAction {
        answer()
    }

    /// The downstream connection is gone: whatever upstream was attached is torn down.
    mutating func downstreamClosed() -> Upstream? {
        defer {
            state = .closed
            held = []
        }
        if case .proxying(let upstream, _) = state { return upstream }
        return nil
    }

    /// The codec rejected the request: the proxy may answer (400/431) only when no response is under way.
    mutating func malformedRequest() -> Bool {
        let answers: Bool
        switch state {
        case .idle, .discarding: answers = true
        case .deciding: answers = request.dropsBody
        case .connecting, .proxying, .tunnelling, .closed: answers = false
        }
        state = .closed
        return answers
    }

    /// The upstream's response has begun going downstream.
    var responseStarted: Bool {
        if case .proxying(_, true) = state { return true }
        return false
    }

    /// The upstream connection of the exchange in flight.
    var attachedUpstream: Upstream? {
        if case .proxying(let upstream, _) = state { return upstream }
        return nil
    }

    // MARK: helpers

    private func canRetry(after failure: UpstreamFailure) -> Bool {
        guard let policy = request.retry else { return false }
        return request.attempt <= policy.attempts && policy.allows(failure) && request.ended && request.replay != nil
    }

    /// The policy retries `failure`, and would have, but every retry is spent.
    private func retriesExhausted(after failure: UpstreamFailure) -> Bool {
        guard let policy = request.retry, policy.attempts > 0 else { return false }
        return request.attempt > policy.attempts && policy.allows(failure) && request.ended && request.replay != nil
    }

    private mutating func retry(teardown: Upstream?) -> ExchangeAction {
        request.attempt += 1
        request.pending = request.replay ?? []
        state = .connecting
        return .retry(attempt: request.attempt, teardown: teardown)
    }

    /// The exchange has its answer: over if the request ended, else its body is dropped first.
    private mutating func finishAnswered() -> AfterAnswer {
        if request.ended { return finish() }
        state = .discarding
        return .discardRequestBody
    }

    private mutating func finish() -> AfterAnswer {
        request.pending = []
        if var replay = request.replay.take(), replay.capacity <= Self.replaySpareLimit {
            // Its parts go now (an idle connection holds no body); the buffer stays, alone again
            // once the attempts that wrote from it are gone (else emptying it allocates anew).
            // Popped one by one: `removeAll(keepingCapacity:)` replaced the range through a
            // generic path (~170 instructions for a body part and an end).
            while replay.popLast() != nil {}
            replaySpare = replay
        }
        guard request.keepAlive else {
            state = .closed
            return .closeConnection
        }
        state = .idle
        return .ready(resumeHeld: !held.isEmpty)
    }

    /// The failure a response is, when the policy retries it: its status, or (for a 200) its `grpc-status`.
    static func retriable(status: Int, grpcStatus: Int?, _ policy: RoutePolicy.Retry) -> UpstreamFailure? {
        if status != 200 { return policy.allows(.status(status)) ? .status(status) : nil }
        guard policy.retriesGRPC, let code = grpcStatus, policy.allows(.grpcStatus(code)) else { return nil }
        return .grpcStatus(code)
    }
}
