import WeftModel

/// VirtualService `mirror`/`mirrors`: each mirror's share (`mirrorPercentage`) is rolled here; the
/// exchange sends the copy, once the request is whole, through the same upstream attempt as the
/// request itself.
public struct MirrorRequest: RequestStep {
    public init() {}

    public func decide(_ context: inout RequestContext) -> RequestDecision? {
        if let mirrors = context.route?.policy.mirrors, !mirrors.isEmpty {
            context.mirrors = mirrors.filter { FastRandom.chance($0.percent) }.map(\.cluster)
        }
        return nil
    }
}
