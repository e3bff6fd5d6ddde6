import WeftModel

/// Inbound: the peer's identity from mutual TLS, checked against PeerAuthentication (STRICT
/// refuses plaintext). A pass-through place until the mutual TLS issue fills it; `peerIdentity`
/// is what it will set.
public struct AuthenticatePeer: RequestStep {
    public init() {}
    public var isPassThrough: Bool { true }

    public func decide(_ context: inout RequestContext, next: (inout RequestContext) -> RequestDecision) -> RequestDecision {
        next(&context)
    }
}
