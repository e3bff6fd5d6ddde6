/// A `CONNECT` on the outbound proxy: routed like a request, connected to the chosen endpoint, then
/// the downstream connection stops speaking HTTP and both sides are spliced. Says what each event
/// means on the way there; once open, the splice carries bytes and this machine is done.
struct ConnectTunnelStateMachine {
    /// What the handler does.
    enum Action: Equatable {
        case none
        /// Connect to the endpoint the steps chose (downstream reads paused meanwhile).
        case connect
        /// Answer locally: the steps refused it (`connected: false`) or the connect failed.
        case answer
        /// Replace the HTTP handlers with the splice, then say 200.
        case splice
        /// Count the tunnel as open.
        case opened
        /// Close both sides (the splice could not be wired, or the client left meanwhile).
        case closeBoth
    }

    private enum State {
        case idle
        case connecting
        case splicing
        case open
        /// Refused, failed or abandoned.
        case closed
    }

    private var state = State.idle

    /// The steps decided: `forward` to an endpoint, or not.
    mutating func routed(forward: Bool) -> Action {
        guard case .idle = state else { return .none }
        state = forward ? .connecting : .closed
        return forward ? .connect : .answer
    }

    mutating func connected() -> Action {
        switch state {
        case .connecting:
            state = .splicing
            return .splice
        case .closed:
            // The client went away while the connect was under way.
            return .closeBoth
        case .idle, .splicing, .open:
            return .none
        }
    }

    mutating func connectFailed() -> Action {
        guard case .connecting = state else { return .none }
        state = .closed
        return .answer
    }

    mutating func spliced(_ success: Bool) -> Action {
        guard case .splicing = state else { return .none }
        state = success ? .open : .closed
        return success ? .opened : .closeBoth
    }

    /// The downstream connection closed before the tunnel opened.
    mutating func downstreamClosed() {
        switch state {
        case .idle, .connecting: state = .closed
        case .splicing, .open, .closed: break
        }
    }

    /// Whether this connection is (becoming) a tunnel.
    var isActive: Bool {
        switch state {
        case .connecting, .splicing, .open: return true
        case .idle, .closed: return false
        }
    }
}
