import WeftModel

/// Inbound: the AuthorizationPolicies of the workload, with Istio's evaluation (DENY, then ALLOW;
/// `AuthorizationEngine`). A denial answers 403 `RBAC: access denied`, counted as `rbac.denied`
/// and per deciding policy; dry-run policies count their shadow decision (`rbac.shadow_denied`).
public struct Authorize: RequestStep {
    let stats: ProxyStats?
    let enabled: Bool

    /// `enabled: false` leaves the step out of the pipeline (a sidecar's outbound listener).
    public init(stats: ProxyStats? = nil, enabled: Bool = true) {
        self.stats = stats
        self.enabled = enabled
    }

    public var isPassThrough: Bool { !enabled }

    public func decide(_ context: inout RequestContext, next: (inout RequestContext) -> RequestDecision) -> RequestDecision {
        guard let port = context.localPort else { return next(&context) }
        let policies = context.configuration.authorization(port: port)
        guard !policies.isEmpty else { return next(&context) }
        let (decision, shadow) = AuthorizationEngine.evaluate(policies, Self.request(context, port: port))
        if let shadow { stats?.increment(shadow.allowed ? "rbac.shadow_allowed" : "rbac.shadow_denied") }
        for policy in decision.audited { stats?.increment("rbac.audited.\(policy)") }
        guard decision.allowed else {
            stats?.increment("rbac.denied")
            stats?.increment("rbac.denied.\(decision.policy ?? "no_allow_policy_matched")")
            return .respond(LocalResponse(status: 403, flag: "", body: "RBAC: access denied"))
        }
        stats?.increment("rbac.allowed")
        return next(&context)
    }

    /// What the policies see of the request.
    static func request(_ context: RequestContext, port: Int) -> AuthorizationEngine.Request {
        let attributes = context.attributes
        return AuthorizationEngine.Request(principal: context.peerPrincipal, auth: attributes.auth, sourceIP: context.sourceAddress, remoteIP: context.sourceAddress,
                                           destinationIP: context.localAddress, destinationPort: port, host: attributes.host, method: attributes.method,
                                           path: attributes.path, headers: attributes.headers)
    }
}
