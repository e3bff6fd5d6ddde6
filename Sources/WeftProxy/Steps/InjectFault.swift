import WeftModel

/// VirtualService `fault`: aborts a share of requests with the configured status (flag FI, Envoy's
/// body "fault filter abort") and delays a share (flag DI). The delay comes first and applies to
/// whatever is decided after it, as Envoy's fault filter does before the router.
public struct InjectFault: RequestStep {
    public init() {}

    public func decide(_ context: inout RequestContext) -> RequestDecision? {
        guard let fault = context.route?.policy.fault else { return nil }
        if let delay = fault.delayMs, delay > 0, FastRandom.chance(fault.delayPercent) {
            context.faultDelayMs = delay
        }
        if let status = fault.abortStatus, FastRandom.chance(fault.abortPercent) {
            return .respond(LocalResponse(status: status, flag: "FI", body: "fault filter abort"))
        }
        return nil
    }
}
