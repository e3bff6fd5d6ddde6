import NIOHTTP1
import WeftModel

extension ProxyServerHandler {
    /// What the steps decided for the request in flight, kept while the state machine carries it
    /// out: the head to forward, where it goes, the plan, the breaker slots it holds and the
    /// endpoints its attempts used. A class: the handler keeps one per request, and the attempt's
    /// callbacks compare it by identity to tell a stale callback from a current one.
    final class Exchange {
        /// The client's head, until the first attempt takes it over to forward it (a route that
        /// mirrors keeps it: each mirror is made from it).
        var requestHead: ProxyRequestHead
        /// The head as the first attempt sent it: a retry sends it again with its count.
        var forwardedHead: ProxyRequestHead?
        /// `forwardedHead` is kept (read without touching the head).
        var headForwarded = false
        /// The client's HTTP version, which answers go back in.
        let version: HTTPVersion
        var upstream: RequestDecision.Upstream
        /// What the steps decided on; its fields are the forwarded head's once the request went
        /// upstream (a retry's or mirror's pick may hash on them).
        var request: RequestContext
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
        /// and mirror writes the same. Kept as its bits, not added to `requestHead` before it is
        /// forwarded: the request's context shares its fields until then, and an edit copied them.
        var requestID: (UInt64, UInt64)?
        /// A gRPC answer's head waiting for its first body part or its trailers (`GRPCRetryHold`).
        var heldResponseHead: ProxyResponseHead?

        init(requestHead: consuming ProxyRequestHead, upstream: RequestDecision.Upstream, request: consuming RequestContext) {
            version = requestHead.version
            self.requestHead = requestHead
            self.upstream = upstream
            self.request = request
        }

        var endpoint: String { "\(upstream.host):\(upstream.port)" }

        /// The client's head, taken out (an empty one is left): held by nothing else, it is edited in place.
        func takeRequestHead() -> ProxyRequestHead {
            var taken = ProxyRequestHead(method: .GET, uri: "")
            swap(&taken, &requestHead)
            return taken
        }
    }
}
