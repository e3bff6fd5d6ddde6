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

    /// The exchange using the connection.
    private struct Exchange {
        var requestEnded = false
        var responseEnded = false
        var keepAlive = true
    }

    private enum State {
        case idle
        case serving(Exchange)
        /// The owner gave the exchange up (a timeout, a retry): the connection is closing.
        case abandoned
        case closed
    }

    private var state = State.idle

    /// An exchange takes the connection.
    mutating func leased() {
        state = .serving(Exchange())
    }

    /// The request's end was written.
    mutating func requestEnded() {
        guard case .serving(var exchange) = state else { return }
        exchange.requestEnded = true
        state = .serving(exchange)
    }

    /// A response head arrived; `keepAlive` is what the upstream said about the connection.
    mutating func responseHead(keepAlive: Bool) -> Action {
        received { $0.keepAlive = keepAlive }
    }

    mutating func responseBody() -> Action {
        received { _ in }
    }

    /// The response ended (the owner then finishes the exchange).
    mutating func responseEnded() -> Action {
        received { $0.responseEnded = true }
    }

    /// A response part: delivered to the exchange; on an idle connection it is a response nobody
    /// asked for, and the connection cannot be trusted with the next request.
    private mutating func received(_ update: (inout Exchange) -> Void) -> Action {
        switch state {
        case .serving(var exchange):
            update(&exchange)
            state = .serving(exchange)
            return .deliver
        case .idle:
            state = .closed
            return .close
        case .abandoned, .closed:
            return .none
        }
    }

    /// The owner is done with the exchange (the response's end was delivered): released only if
    /// both sides ended and both kept the connection alive (a response that ends before its
    /// request leaves the request's rest with nowhere to go).
    mutating func exchangeFinished() -> Action {
        guard case .serving(let exchange) = state else { return .none }
        guard exchange.requestEnded, exchange.responseEnded, exchange.keepAlive else { return abandon() }
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
        case .serving(let exchange): return exchange.responseEnded ? .forget : .notifyClosed
        case .idle, .abandoned, .closed: return .forget
        }
    }
}
