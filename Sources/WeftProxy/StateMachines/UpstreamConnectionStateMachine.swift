/// One pooled upstream connection: idle in the pool, or serving one exchange whose request and
/// response each end once. It decides what the connection becomes when an exchange is over (back
/// to the pool only when both sides ended and both kept it alive) and what a close or a stray
/// response means. Independent of HTTP/1.1: it sees ends and keep-alive flags, never heads.
struct UpstreamConnectionStateMachine {
    /// What the handler does with the connection.
    enum Action: Equatable {
        case none
        /// Hand the part to the exchange that owns the connection.
        case deliver
        /// The exchange is over and the connection can serve another: back to the pool.
        case release
        /// Close the connection (unusable, or sent something nobody asked for).
        case close
        /// The connection closed under its exchange: tell the owner (before or during the response).
        case notifyClosed
        /// Closed while idle or already given up: nothing to tell.
        case forget
    }

    private enum State {
        case idle
        case serving(requestEnded: Bool, responseEnded: Bool, keepAlive: Bool)
        /// The owner gave the exchange up (a timeout, a retry): the connection is closing.
        case abandoned
        case closed
    }

    private var state = State.idle

    /// An exchange takes the connection.
    mutating func leased() {
        state = .serving(requestEnded: false, responseEnded: false, keepAlive: true)
    }

    /// The request's end was written.
    mutating func requestEnded() {
        guard case .serving(_, let responseEnded, let keepAlive) = state else { return }
        state = .serving(requestEnded: true, responseEnded: responseEnded, keepAlive: keepAlive)
    }

    /// A response head arrived; `keepAlive` is what the upstream said about the connection.
    mutating func responseHead(keepAlive: Bool) -> Action {
        switch state {
        case .serving(let requestEnded, let responseEnded, _):
            state = .serving(requestEnded: requestEnded, responseEnded: responseEnded, keepAlive: keepAlive)
            return .deliver
        case .idle:
            // A response nobody asked for: the connection cannot be trusted with the next request.
            state = .closed
            return .close
        case .abandoned, .closed:
            return .none
        }
    }

    mutating func responseBody() -> Action {
        switch state {
        case .serving: return .deliver
        case .idle:
            state = .closed
            return .close
        case .abandoned, .closed: return .none
        }
    }

    /// The response ended: delivered, and then the connection is released only if the request
    /// ended too (a response that ends first leaves the request's rest with nowhere to go).
    mutating func responseEnded() -> Action {
        switch state {
        case .serving(let requestEnded, _, let keepAlive):
            state = .serving(requestEnded: requestEnded, responseEnded: true, keepAlive: keepAlive)
            return .deliver
        case .idle:
            state = .closed
            return .close
        case .abandoned, .closed:
            return .none
        }
    }

    /// The owner is done with the exchange (the response's end was delivered): what now.
    mutating func exchangeFinished() -> Action {
        guard case .serving(let requestEnded, let responseEnded, _) = state else { return .none }
        guard responseEnded else {
            state = .abandoned
            return .close
        }
        guard requestEnded, case .serving(_, _, let keepAlive) = state, keepAlive else { return abandon() }
        state = .idle
        return .release
    }

    /// The owner gives the exchange up before it ended.
    mutating func abandon() -> Action {
        switch state {
        case .serving, .idle:
            state = .abandoned
            return .close
        case .abandoned, .closed:
            return .none
        }
    }

    /// The socket closed.
    mutating func closed() -> Action {
        defer { state = .closed }
        switch state {
        case .serving(_, let responseEnded, _): return responseEnded ? .forget : .notifyClosed
        case .idle, .abandoned, .closed: return .forget
        }
    }
}
