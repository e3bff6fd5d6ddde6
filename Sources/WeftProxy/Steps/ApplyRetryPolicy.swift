import WeftModel

/// VirtualService `retries` (or Istio's default policy, merged in at translation): which failed
/// attempts the exchange sends again, how often, with what per-try timeout.
public struct ApplyRetryPolicy: RequestStep {
    public init() {}

    public func decide(_ context: inout RequestContext) -> RequestDecision? {
        context.retry = context.route?.policy.retry
        return nil
    }
}
