import Logging
import WeftModel

/// Inbound: the AuthorizationPolicies of the workload, with Istio's evaluation (CUSTOM's external
/// authorizer first, asked by the exchange; then DENY, then ALLOW; `AuthorizationEngine`). A denial answers 403 `RBAC: access denied`, counted as `rbac.denied`
/// and per deciding policy, and logged with that policy and rule (Envoy's "enforced denied,
/// matched policy"); dry-run policies count and log their shadow decision (`rbac.shadow_denied`).
public struct Authorize: RequestStep {
    let stats: ProxyStats?
    let logger: Logger?
    let enabled: Bool

    /// `enabled: false` leaves the step out of the pipeline (a sidecar's outbound listener).
    public init(stats: ProxyStats? = nil, logger: Logger? = nil, enabled: Bool = true) {
        self.stats = stats
        self.logger = logger
        self.enabled = enabled
    }

    public var isPassThrough: Bool { !enabled }

    public func decide(_ context: inout RequestContext) -> RequestDecision? {
        guard let port = context.localPort else { return nil }
        let policies = context.configuration.authorization(port: port)
        guard !policies.isEmpty else { return nil }
        let request = Self.request(context, port: port)
        if let authorizer = AuthorizationEngine.externalAuthorizer(policies, request) {
            // Istio's order: the external authorizer first; DENY and ALLOW decide what it lets through.
            if let reason = authorizer.unusable {
                stats?.increment("ext_authz.error")
                logger?.info("ext_authz: \(reason): denied", metadata: Self.metadata(request))
                return .respond(LocalResponse(status: 403, flag: "UAEX", body: "RBAC: access denied"))
            }
            context.externalCheck = ExternalCheck(authorizer)
        }
        let (decision, shadow) = AuthorizationEngine.evaluate(policies, request)
        if let shadow {
            stats?.increment(shadow.allowed ? "rbac.shadow_allowed" : "rbac.shadow_denied")
            if shadow.allowed != decision.allowed || shadow.policy != decision.policy {
                logger?.info("rbac: shadow \(shadow.allowed ? "allowed" : "denied"), \(Self.matched(shadow))", metadata: Self.metadata(request))
            }
        }
        for policy in decision.audited { stats?.increment("rbac.audited.\(policy)") }
        guard decision.allowed else {
            stats?.increment("rbac.denied")
            stats?.increment("rbac.denied.\(decision.policy ?? "no_allow_policy_matched")")
            logger?.info("rbac: enforced denied, \(Self.matched(decision))", metadata: Self.metadata(request))
            return .respond(LocalResponse(status: 403, flag: "", body: "RBAC: access denied"))
        }
        stats?.increment("rbac.allowed")
        return nil
    }

    /// What the policies see of the request.
    static func request(_ context: RequestContext, port: Int) -> AuthorizationEngine.Request {
        let attributes = context.attributes
        return AuthorizationEngine.Request(principal: context.peerPrincipal, auth: attributes.auth, sourceIP: context.sourceAddress, remoteIP: context.remoteAddress,
                                           destinationIP: context.localAddress, destinationPort: port, host: attributes.host, method: attributes.method,
                                           path: attributes.path, headers: attributes.headers)
    }

    /// "matched policy foo/deny-admin rule 0", or why none did.
    static func matched(_ decision: AuthorizationEngine.Decision) -> String {
        guard let policy = decision.policy else { return decision.allowed ? "no policy matched" : "no ALLOW policy matched" }
        return "matched policy \(policy)" + (decision.rule.map { " rule \($0)" } ?? "")
    }

    /// The request as a log line names it: who, what, where.
    static func metadata(_ request: AuthorizationEngine.Request) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["method": "\(request.method)", "path": "\(request.path)", "host": "\(request.host)",
                                         "port": "\(request.destinationPort ?? 0)", "source": "\(request.sourceIP ?? "")"]
        if let principal = request.principal { metadata["principal"] = "\(principal)" }
        if let principal = request.requestPrincipal { metadata["requestPrincipal"] = "\(principal)" }
        return metadata
    }
}
