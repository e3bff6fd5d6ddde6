/// AuthorizationPolicy on TCP traffic, as Istio builds Envoy's network RBAC filter: a connection has
/// no host, method, path, headers or token, so a rule that names one of those is judged without it.
/// An ALLOW rule naming an HTTP-only field is left out (the policy allows less: istio.io's
/// "Authorization for TCP traffic" task denies port 9000 once its ALLOW rule names `methods`); a DENY
/// or AUDIT rule keeps its other fields (it denies more). A CUSTOM policy asks its provider about a
/// connection when that is a gRPC one (Envoy's network ext_authz filter; its rules judged as a
/// DENY's), and is left out with an HTTP provider, which cannot be asked about a connection.
extension AuthorizationPolicyConfig {
    /// The policy as a TCP connection is judged by it; nil for a CUSTOM policy whose provider is an HTTP one.
    public var forConnections: AuthorizationPolicyConfig? {
        var judged = self
        switch action {
        case .custom:
            // A provider that cannot be used still fails closed for what the policy matches.
            guard provider?.api == .grpc || provider?.unusable != nil else { return nil }
            judged.rules = rules.map(\.withoutHTTPOnlyFields)
        case .allow:
            judged.rules = rules.filter { !$0.namesHTTPOnlyFields }
        case .deny, .audit:
            judged.rules = rules.map(\.withoutHTTPOnlyFields)
        }
        return judged
    }
}

extension AuthorizationRule {
    /// The `when` keys a connection has (Istio's conditions "supported for TCP").
    static let connectionConditionKeys: Set<String> = ["source.ip", "remote.ip", "source.namespace", "source.principal", "source.serviceAccount",
                                                       "destination.ip", "destination.port", "connection.sni"]

    /// Whether the rule names a field only an HTTP request has: request principals, hosts, methods,
    /// paths, or a `when` key of the request (headers, `request.auth.*`).
    public var namesHTTPOnlyFields: Bool {
        sources.contains { !$0.requestPrincipals.isEmpty || !$0.notRequestPrincipals.isEmpty }
            || operations.contains { !$0.hosts.isEmpty || !$0.notHosts.isEmpty || !$0.methods.isEmpty || !$0.notMethods.isEmpty || !$0.paths.isEmpty || !$0.notPaths.isEmpty }
            || conditions.contains { !Self.connectionConditionKeys.contains($0.key) }
    }

    /// The rule with its HTTP-only fields taken out (an operation or source left with nothing
    /// matches any connection).
    public var withoutHTTPOnlyFields: AuthorizationRule {
        var rule = self
        for index in rule.sources.indices {
            rule.sources[index].requestPrincipals = []
            rule.sources[index].notRequestPrincipals = []
        }
        for index in rule.operations.indices {
            rule.operations[index].hosts = []
            rule.operations[index].notHosts = []
            rule.operations[index].methods = []
            rule.operations[index].notMethods = []
            rule.operations[index].paths = []
            rule.operations[index].notPaths = []
        }
        rule.conditions = conditions.filter { Self.connectionConditionKeys.contains($0.key) }
        return rule
    }
}
