import WeftModel

/// Inbound: the place for request-level peer checks. PeerAuthentication itself is enforced per
/// connection, before any HTTP (`InboundTransportHandler`: STRICT resets plaintext), and the proved
/// peer arrives as `peerPrincipal`; nothing is left to do per request, so the step passes through.
public struct AuthenticatePeer: RequestStep {
    public init() {}
    public var isPassThrough: Bool { true }

    public func decide(_ context: inout RequestContext) -> RequestDecision? {
        nil
    }
}
