import NIOHTTP1
import WeftModel

extension ProxyServerHandler {
    /// What the steps decided for the request in flight, kept while the state machine carries it
    /// out: the head to forward, where it goes, the plan, the breaker slots it holds and the
    /// endpoints its attempts used. A class: the handler keeps one per request, and the attempt's
    /// callbacks compare it by identity to tell a stale callback from a current one.
    final class Exchange {
        var requestHead: ProxyRequestHead
        var upstream: RequestDecision.Upstream
        let request: RequestContext
        /// Held while the request (its current retry) counts against the cluster's maxRequests (maxRetries).
        var requestSlot: InFlightSlot?
        var retrySlot: InFlightSlot?
        /// `host:port` of the endpoints earlier attempts went to (Istio's previous_hosts predicate).
        var triedEndpoints: [String] = []
        /// The `Upgrade` header of a WebSocket handshake, sent upstream with `Connection: upgrade`.
        var upgrade: String?
        /// The upstream answered the handshake with 101: when its end arrives the connections are spliced.
        var switchesProtocols = false
        /// The `x-request-id` the proxy made for a request that came without one: every attempt
        /// and mirror writes the same. Kept as its bits, not added to `requestHead`, which the
        /// request's context shares: an edit there copied the received head's bytes and index.
        var requestID: (UInt64, UInt64)?
        /// A gRPC answer's head waiting for its first body part or its trailers (`GRPCRetryHold`).
        var heldResponseHead: ProxyResponseHead?

        init(requestHead: ProxyRequestHead, upstream: RequestDecision.Upstream, request: RequestContext) {
            self.requestHead = requestHead
            self.upstream = upstream
            self.request = request
        }

        var endpoint: String { "\(upstream.host):\(upstream.port)" }
    }
}
