import WeftModel

/// Envoy's CORS filter for a route with a `corsPolicy`: a preflight from an allowed origin is
/// answered here; a cross-origin request goes on with the headers its response will carry.
public struct AnswerCORS: RequestStep {
    public init() {}

    public func decide(_ context: inout RequestContext) -> RequestDecision? {
        guard let policy = context.route?.policy.cors else { return nil }
        switch CORSDecision.decide(policy, context.attributes) {
        case .none:
            return nil
        case .preflight(let headers):
            return .respond(LocalResponse(status: 200, flag: "", headers: headers.map { ($0.name, $0.value) }))
        case .ignoredPreflight:
            return .respond(LocalResponse(status: 200, flag: ""))
        case .response(let headers):
            context.responseHeaders += headers
            return nil
        }
    }
}
