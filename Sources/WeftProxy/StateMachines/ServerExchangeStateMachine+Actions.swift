/// What the exchange's state machine asks of its handler.
extension ServerExchangeStateMachine {
    /// Why a failure the retry policy covers was not retried.
    enum RetryLimit: Equatable {
        case none
        /// The cluster's retry budget (`maxRetries`) was spent: Envoy's UO.
        case overflow
        /// Every retry the policy allows was made: Envoy's URX.
        case exhausted

        /// The response flag Envoy adds.
        var flag: String? {
            switch self {
            case .none: return nil
            case .overflow: return "UO"
            case .exhausted: return "URX"
            }
        }
    }

    /// What a local answer leaves behind once written.
    enum AfterAnswer: Equatable {
        /// The request's body is still arriving: drop it, then the connection takes the next request.
        case discardRequestBody
        /// The exchange is over; the next request may be handled (held ones first, when `resumeHeld`).
        case ready(resumeHeld: Bool)
        /// The exchange is over and the connection closes (the client asked for it).
        case closeConnection
    }

    /// What the handler does for a request part.
    enum RequestPartAction {
        case none
        /// Run the request steps on the head that just arrived (handed back, not kept: the steps take it over).
        case decide(Part)
        /// A part of a later (pipelined) request waits; pause reads when it is the first held.
        case hold(pauseReads: Bool)
        /// Write the part to the attached upstream; `mirror` when the request just became whole.
        case writeUpstream(Part, Upstream, requestComplete: Mirror?)
        /// The rest of a locally answered request arrived: the exchange is over.
        case finished(AfterAnswer)
        /// The codec's order was broken (a body without a head, a head mid-request): close.
        case close
    }

    /// The request is whole and the route mirrors: its parts, or too large to have been kept.
    enum Mirror {
        case parts([Part])
        case tooLarge
    }

    /// What the handler does after an upstream event or a timer.
    enum ExchangeAction {
        case none
        /// Write the request to the newly attached upstream: its head (this attempt's), then `parts`.
        case writeRequest(Upstream, parts: [Part], attempt: Int, requestComplete: Mirror?)
        /// Try again: tear down `teardown` (if any), get admission for one more attempt, wait the
        /// backoff of retry `attempt - 1`, then connect.
        case retry(attempt: Int, teardown: Upstream?)
        /// Answer locally (the handler knows which answer) and tear down `teardown` (if any);
        /// `retryLimit`: the failure was one the retry policy retries, but no retry was left (Envoy's
        /// URX) or the cluster's retry budget was spent (UO).
        case answer(AfterAnswer, keepAlive: Bool, teardown: Upstream?, retryLimit: RetryLimit)
        /// Send the upstream's response head downstream (`retryLimit` as for `answer`).
        case forwardResponseHead(keepAlive: Bool, retryLimit: RetryLimit)
        /// The response had started when the exchange failed: closing is the only honest signal.
        case closeConnection(teardown: Upstream?)
        /// The connection came when nobody waits for it any more.
        case discardConnection(Upstream)
    }
}
