import WeftModel

extension Weft_Discovery_V1_AuthorizationPolicy {
    public init(_ model: AuthorizationPolicyConfig) {
        self.init()
        name = model.name
        switch model.action {
        case .allow: action = .allow
        case .deny: action = .deny
        case .audit: action = .audit
        case .custom: action = .custom
        }
        if let model = model.provider {
            var wire = Provider()
            wire.name = model.name
            wire.address = model.address
            wire.pathPrefix = model.pathPrefix
            wire.includeRequestHeaders = model.includeRequestHeaders
            wire.additionalHeaders = model.additionalHeaders.map { header in
                var field = Provider.Header()
                field.name = header.name
                field.value = header.value
                return field
            }
            wire.headersToUpstreamOnAllow = model.headersToUpstreamOnAllow
            wire.headersToDownstreamOnAllow = model.headersToDownstreamOnAllow
            wire.headersToDownstreamOnDeny = model.headersToDownstreamOnDeny
            wire.statusOnError = Int32(model: model.statusOnError)
            wire.failOpen = model.failOpen
            wire.timeoutMs = Int64(model: model.timeoutMs)
            wire.unusable = model.unusable ?? ""
            wire.grpc = model.api == .grpc
            if let body = model.requestBody {
                wire.bodyMaxBytes = Int64(model: body.maxBytes)
                wire.bodyAllowPartial = body.allowPartial
                wire.bodyPackAsBytes = body.packAsBytes
            }
            provider = wire
        }
        dryRun = model.dryRun
        rules = model.rules.map { rule in
            var wire = Rule()
            wire.sources = rule.sources.map { source in
                var out = Source()
                out.principals = source.principals
                out.notPrincipals = source.notPrincipals
                out.requestPrincipals = source.requestPrincipals
                out.notRequestPrincipals = source.notRequestPrincipals
                out.namespaces = source.namespaces
                out.notNamespaces = source.notNamespaces
                out.ipBlocks = source.ipBlocks
                out.notIpBlocks = source.notIpBlocks
                out.remoteIpBlocks = source.remoteIpBlocks
                out.notRemoteIpBlocks = source.notRemoteIpBlocks
                return out
            }
            wire.operations = rule.operations.map { operation in
                var out = Operation()
                out.hosts = operation.hosts
                out.notHosts = operation.notHosts
                out.ports = operation.ports
                out.notPorts = operation.notPorts
                out.methods = operation.methods
                out.notMethods = operation.notMethods
                out.paths = operation.paths
                out.notPaths = operation.notPaths
                return out
            }
            wire.conditions = rule.conditions.map { condition in
                var out = Condition()
                out.key = condition.key
                out.values = condition.values
                out.notValues = condition.notValues
                return out
            }
            return wire
        }
    }
}

extension AuthorizationPolicyConfig {
    public init(wire: Weft_Discovery_V1_AuthorizationPolicy) throws(WireError) {
        let action: Action
        switch wire.action {
        case .allow: action = .allow
        case .deny: action = .deny
        case .audit: action = .audit
        case .custom: action = .custom
        case .UNRECOGNIZED(let value): throw WireError("authorization policy \(wire.name): unknown action \(value)")
        }
        var provider: ExternalAuthorizer?
        if wire.hasProvider {
            var made = ExternalAuthorizer(name: wire.provider.name, address: wire.provider.address)
            made.pathPrefix = wire.provider.pathPrefix
            made.includeRequestHeaders = wire.provider.includeRequestHeaders
            made.additionalHeaders = wire.provider.additionalHeaders.map { ExternalAuthorizer.Header(name: $0.name, value: $0.value) }
            made.headersToUpstreamOnAllow = wire.provider.headersToUpstreamOnAllow
            made.headersToDownstreamOnAllow = wire.provider.headersToDownstreamOnAllow
            made.headersToDownstreamOnDeny = wire.provider.headersToDownstreamOnDeny
            made.statusOnError = Int(wire: wire.provider.statusOnError)
            made.failOpen = wire.provider.failOpen
            made.timeoutMs = Int(wire: wire.provider.timeoutMs)
            made.unusable = wire.provider.unusable.isEmpty ? nil : wire.provider.unusable
            made.api = wire.provider.grpc ? .grpc : .http
            if wire.provider.bodyMaxBytes > 0 {
                made.requestBody = ExternalAuthorizer.RequestBody(maxBytes: Int(wire: wire.provider.bodyMaxBytes), allowPartial: wire.provider.bodyAllowPartial,
                                                                  packAsBytes: wire.provider.bodyPackAsBytes)
            }
            provider = made
        }
        self.init(name: wire.name, action: action, dryRun: wire.dryRun, rules: wire.rules.map { rule in
            var sources: [AuthorizationRule.Source] = []
            for source in rule.sources {
                var out = AuthorizationRule.Source()
                out.principals = source.principals
                out.notPrincipals = source.notPrincipals
                out.requestPrincipals = source.requestPrincipals
                out.notRequestPrincipals = source.notRequestPrincipals
                out.namespaces = source.namespaces
                out.notNamespaces = source.notNamespaces
                out.ipBlocks = source.ipBlocks
                out.notIpBlocks = source.notIpBlocks
                out.remoteIpBlocks = source.remoteIpBlocks
                out.notRemoteIpBlocks = source.notRemoteIpBlocks
                sources.append(out)
            }
            var operations: [AuthorizationRule.Operation] = []
            for operation in rule.operations {
                var out = AuthorizationRule.Operation()
                out.hosts = operation.hosts
                out.notHosts = operation.notHosts
                out.ports = operation.ports
                out.notPorts = operation.notPorts
                out.methods = operation.methods
                out.notMethods = operation.notMethods
                out.paths = operation.paths
                out.notPaths = operation.notPaths
                operations.append(out)
            }
            return AuthorizationRule(sources: sources, operations: operations,
                                     conditions: rule.conditions.map { AuthorizationRule.Condition(key: $0.key, values: $0.values, notValues: $0.notValues) })
        }, provider: provider)
    }
}
