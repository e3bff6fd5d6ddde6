import WeftAPI
import WeftModel

/// Authorization translator: the AuthorizationPolicies that apply to a proxy's workload (Istio's
/// scoping: the root namespace's mesh-wide ones, the workload namespace's, and those whose
/// `selector` matches its labels or whose `targetRef` names a Service that selects it), as the
/// proxy enforces them. Order: namespace, then name (the engine's decision does not depend on it).
public enum AuthorizationTranslator {
    public static func translate(_ view: ProxyView) -> [AuthorizationPolicyConfig] {
        view.authorizationPolicies.map { config($0, providers: view.extensionProviders) }
    }

    /// Whether `policy` applies to `proxy` (`services`: to resolve a targetRef).
    static func applies(_ policy: AuthorizationPolicy, to proxy: ProxyIdentity, rootNamespace: String, services: [MeshService]) -> Bool {
        WorkloadPolicyScope.applies(namespace: policy.namespace, selector: policy.spec.selector,
                                    targetRefs: (policy.spec.targetRefs ?? []) + (policy.spec.targetRef.map { [$0] } ?? []),
                                    to: proxy, rootNamespace: rootNamespace, services: services)
    }

    /// The proxy's form of a policy; a CUSTOM one carries its provider from MeshConfig.
    static func config(_ policy: AuthorizationPolicy, providers: [MeshConfig.ExtensionProvider] = []) -> AuthorizationPolicyConfig {
        let action: AuthorizationPolicyConfig.Action
        switch policy.spec.action {
        case .ALLOW?, nil: action = .allow
        case .DENY?: action = .deny
        case .AUDIT?: action = .audit
        case .CUSTOM?: action = .custom
        }
        let rules = (policy.spec.rules ?? []).map { rule in
            AuthorizationRule(sources: (rule.from ?? []).map { source($0.source) }, operations: (rule.to ?? []).map { operation($0.operation) },
                              conditions: (rule.when ?? []).map { AuthorizationRule.Condition(key: $0.key ?? "", values: $0.values ?? [], notValues: $0.notValues ?? []) })
        }
        return AuthorizationPolicyConfig(name: "\(policy.namespace)/\(policy.name)", action: action,
                                         dryRun: policy.metadata.annotations?["istio.io/dry-run"] == "true", rules: rules,
                                         provider: action == .custom ? externalAuthorizer(policy.spec.provider?.name ?? "", providers: providers) : nil)
    }

    /// MeshConfig's `envoyExtAuthzHttp` or `envoyExtAuthzGrpc` provider `name`, as Istio configures
    /// Envoy's ext_authz filter with it; a provider that is missing or of another kind fails closed
    /// (Istio denies what the policy matches).
    static func externalAuthorizer(_ name: String, providers: [MeshConfig.ExtensionProvider]) -> ExternalAuthorizer {
        guard let provider = providers.first(where: { $0.name == name }) else {
            var missing = ExternalAuthorizer(name: name, address: "")
            missing.unusable = "no extension provider \"\(name)\" in MeshConfig"
            return missing
        }
        guard let body = provider.envoyExtAuthzHttp ?? provider.envoyExtAuthzGrpc else {
            var other = ExternalAuthorizer(name: name, address: "")
            other.unusable = "\"\(name)\" is not an envoyExtAuthzHttp or envoyExtAuthzGrpc provider"
            return other
        }
        let grpc = provider.envoyExtAuthzHttp == nil
        let port = body["port"].flatMap(TelemetryTranslator.int) ?? 80
        var authorizer = ExternalAuthorizer(name: name, address: "\(body["service"]?.stringValue ?? ""):\(port)")
        if grpc {
            authorizer.api = .grpc
        } else {
            func names(_ key: String) -> [String] {
                guard case .list(let items)? = body[key] else { return [] }
                return items.compactMap { $0.stringValue?.lowercased() }
            }
            authorizer.pathPrefix = body["pathPrefix"]?.stringValue ?? ""
            authorizer.includeRequestHeaders = names("includeRequestHeadersInCheck") + names("includeHeadersInCheck")
            if case .object(let added)? = body["includeAdditionalHeadersInCheck"] {
                authorizer.additionalHeaders = added.map { ExternalAuthorizer.Header(name: $0.key.lowercased(), value: $0.value.stringValue ?? "") }.sorted { $0.name < $1.name }
            }
            authorizer.headersToUpstreamOnAllow = names("headersToUpstreamOnAllow")
            authorizer.headersToDownstreamOnAllow = names("headersToDownstreamOnAllow")
            authorizer.headersToDownstreamOnDeny = names("headersToDownstreamOnDeny")
        }
        if let status = body["statusOnError"].flatMap(TelemetryTranslator.int), (100...599).contains(status) { authorizer.statusOnError = status }
        if case .bool(let open)? = body["failOpen"] { authorizer.failOpen = open }
        if let timeout = body["timeout"]?.stringValue, let duration = try? IstioDuration(parsing: timeout), duration.nanoseconds > 0 {
            authorizer.timeoutMs = Int(max(1, duration.nanoseconds / 1_000_000))
        }
        if case .object(let included)? = body[grpc ? "includeRequestBody" : "includeRequestBodyInCheck"] {
            // Istio's default limit when maxRequestBytes is unset (or not positive): 1 MiB.
            let limit = included["maxRequestBytes"].flatMap(TelemetryTranslator.int).flatMap { $0 > 0 ? $0 : nil } ?? 1 << 20
            var requestBody = ExternalAuthorizer.RequestBody(maxBytes: limit)
            if case .bool(let partial)? = included["allowPartialMessage"] { requestBody.allowPartial = partial }
            if case .bool(let bytes)? = included["packAsBytes"] { requestBody.packAsBytes = bytes }
            authorizer.requestBody = requestBody
        }
        if (body["service"]?.stringValue ?? "").isEmpty { authorizer.unusable = "provider \"\(name)\" names no service" }
        return authorizer
    }

    private static func source(_ source: AuthorizationPolicySpec.Source?) -> AuthorizationRule.Source {
        var out = AuthorizationRule.Source()
        guard let source else { return out }
        // serviceAccounts (`ns/sa`) are principals in any trust domain.
        out.principals = (source.principals ?? []) + (source.serviceAccounts ?? []).map(principal)
        out.notPrincipals = (source.notPrincipals ?? []) + (source.notServiceAccounts ?? []).map(principal)
        out.requestPrincipals = source.requestPrincipals ?? []
        out.notRequestPrincipals = source.notRequestPrincipals ?? []
        out.namespaces = source.namespaces ?? []
        out.notNamespaces = source.notNamespaces ?? []
        out.ipBlocks = source.ipBlocks ?? []
        out.notIpBlocks = source.notIpBlocks ?? []
        out.remoteIpBlocks = source.remoteIpBlocks ?? []
        out.notRemoteIpBlocks = source.notRemoteIpBlocks ?? []
        return out
    }

    private static func principal(_ serviceAccount: String) -> String {
        let parts = serviceAccount.split(separator: "/", maxSplits: 1)
        return parts.count == 2 ? "*/ns/\(parts[0])/sa/\(parts[1])" : "*/sa/\(serviceAccount)"
    }

    private static func operation(_ operation: AuthorizationPolicySpec.Operation?) -> AuthorizationRule.Operation {
        var out = AuthorizationRule.Operation()
        guard let operation else { return out }
        out.hosts = (operation.hosts ?? []).map { $0.lowercased() }
        out.notHosts = (operation.notHosts ?? []).map { $0.lowercased() }
        out.ports = operation.ports ?? []
        out.notPorts = operation.notPorts ?? []
        out.methods = operation.methods ?? []
        out.notMethods = operation.notMethods ?? []
        out.paths = operation.paths ?? []
        out.notPaths = operation.notPaths ?? []
        return out
    }
}
