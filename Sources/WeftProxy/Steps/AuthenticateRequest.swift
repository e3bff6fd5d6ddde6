import WeftModel

/// Inbound: the end user's JWT, checked against RequestAuthentication (401 for an invalid token).
/// A pass-through place until the authorization issue fills it.
public struct AuthenticateRequest: RequestStep {
    public init() {}
    public var isPassThrough: Bool { true }

    public func decide(_ context: inout RequestContext, next: (inout RequestContext) -> RequestDecision) -> RequestDecision {
        next(&context)
    }
}
