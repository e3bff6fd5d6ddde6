import WeftModel

/// Inbound: AuthorizationPolicy (CUSTOM, DENY, then ALLOW; 403 "RBAC: access denied"). A
/// pass-through place until the authorization issue fills it.
public struct Authorize: RequestStep {
    public init() {}
    public var isPassThrough: Bool { true }

    public func decide(_ context: inout RequestContext, next: (inout RequestContext) -> RequestDecision) -> RequestDecision {
        next(&context)
    }
}
