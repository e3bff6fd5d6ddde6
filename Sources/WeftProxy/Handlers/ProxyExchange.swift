import NIOHTTP1
import WeftModel

extension ProxyServerHandler {
    /// One request/response exchange through an upstream. A class: the handler's state holds it
    /// through every part of the request and response, and a struct this size was copied (and each
    /// of its references retained and released) on every state change.
    final class Exchange {
        var requestHead: HTTPRequestHead
        var upstream: RequestDecision.Upstream
        var keepAlive: Bool
        var requestDone = false
        var responseStarted = false
        var upstreamKeepAlive = true
        /// Retries (see ProxyServerHandler+Retry): the route's policy, the decided request (to pick
        /// another endpoint), the attempt number, and the request parts kept for replay (nil once
        /// past the replay limit).
        var retry: RoutePolicy.Retry?
        var request: RequestContext?
        var attempt = 1
        var replay: [HTTPServerRequestPart]? = []
        var replayBytes = 0
        /// The copy for the route's mirrors has gone (see RequestMirror).
        var mirrored = false
        /// Held while the request (and a retry) counts against the cluster's maxRequests (maxRetries).
        var requestSlot: InFlightSlot?
        var retrySlot: InFlightSlot?
        /// `host:port` of the endpoints earlier attempts went to (Istio's previous_hosts predicate).
        var triedEndpoints: [String] = []

        init(requestHead: HTTPRequestHead, upstream: RequestDecision.Upstream, keepAlive: Bool) {
            self.requestHead = requestHead
            self.upstream = upstream
            self.keepAlive = keepAlive
        }

        /// The next attempt of this request: the same request, decisions and slots, nothing of the response.
        func nextAttempt(retrySlot: InFlightSlot?) -> Exchange {
            let next = Exchange(requestHead: requestHead, upstream: upstream, keepAlive: keepAlive)
            next.requestDone = requestDone
            next.retry = retry
            next.request = request
            next.attempt = attempt + 1
            next.mirrored = mirrored
            next.requestSlot = requestSlot
            next.retrySlot = retrySlot
            next.triedEndpoints = triedEndpoints + ["\(upstream.host):\(upstream.port)"]
            return next
        }

        /// Keeps a request part for replay, until the request outgrows the replay limit.
        func remember(_ part: HTTPServerRequestPart) {
            guard replay != nil else { return }
            if case .body(let buffer) = part { replayBytes += buffer.readableBytes }
            if replayBytes > ProxyServerHandler.replayLimit {
                replay = nil
            } else {
                replay?.append(part)
            }
        }
    }
}
