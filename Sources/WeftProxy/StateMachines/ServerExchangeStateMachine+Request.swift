import WeftModel

/// The request side of `ServerExchangeStateMachine`: what it keeps of the request in flight.
extension ServerExchangeStateMachine {
    /// The request of the exchange in flight. Kept beside the state, not in it, so that its
    /// arrays grow in place (a payload taken out of an enum and put back is copied on write).
    struct Request {
        var keepAlive = true
        var ended = false
        /// Read and not yet written to the current attempt.
        var pending: [Part] = []
        /// Every part read so far, kept for a retry or a mirror; nil past `replayLimit` bytes, or
        /// when the route neither retries nor mirrors.
        var replay: [Part]? = []
        var replayBytes = 0
        var attempt = 1
        var retry: RoutePolicy.Retry?
        var mirrors = false
        var mirrored = false
        /// A delayed local answer: the body is dropped as it comes.
        var dropsBody = false

        /// A part read before any upstream is attached: it waits (unless a local answer drops it).
        mutating func read(_ part: consuming Part, bytes: Int, ends: Bool, limit: Int) {
            if ends { ended = true }
            guard !dropsBody else { return }
            remember(part, bytes: bytes, limit: limit)
            pending.append(part)
        }

        mutating func remember(_ part: Part, bytes: Int, limit: Int) {
            guard replay != nil else { return }
            replayBytes += bytes
            if replayBytes > limit { replay = nil } else { replay?.append(part) }
        }

        /// The mirror to send now that the request is whole (once per request).
        mutating func mirrorOnce() -> Mirror? {
            guard ended, mirrors, !mirrored else { return nil }
            mirrored = true
            return replay.map(Mirror.parts) ?? .tooLarge
        }
    }
}
