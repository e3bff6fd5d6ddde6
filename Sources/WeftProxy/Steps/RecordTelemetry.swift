import WeftModel

/// The first step of every request, in and out: where Istio's standard metrics, the access log
/// and the span of the request are recorded. A pass-through place until the telemetry issue fills
/// it (today's counters are the admin page's, kept by the handler).
public struct RecordTelemetry: RequestStep {
    public init() {}
    public var isPassThrough: Bool { true }

    public func decide(_ context: inout RequestContext) -> RequestDecision? {
        nil
    }
}
