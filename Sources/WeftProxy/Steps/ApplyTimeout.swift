import WeftModel

/// VirtualService `timeout`: the exchange answers 504 UT when no response has started by then. The
/// caller's `x-envoy-upstream-rq-timeout-ms` takes its place, as Envoy honours it.
public struct ApplyTimeout: RequestStep {
    public init() {}

    public func decide(_ context: inout RequestContext) -> RequestDecision? {
        if let header = context.attributes.headers.first("x-envoy-upstream-rq-timeout-ms"), let value = Int(header), value >= 0 {
            context.timeoutMs = value
        } else if let timeout = context.route?.policy.timeoutMs, timeout > 0 {
            context.timeoutMs = timeout
        }
        return nil
    }
}
