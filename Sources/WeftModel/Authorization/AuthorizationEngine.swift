/// Istio's authorization evaluation for one request: a DENY policy that matches denies; else, when
/// the workload has ALLOW policies, one of them must match; else the request is allowed. AUDIT
/// policies only mark. Dry-run policies are evaluated beside the enforced ones and reported as the
/// shadow decision. Pure: attributes in, a decision and the policy that made it out.
public enum AuthorizationEngine {
    /// What a policy can look at.
    public struct Request: Sendable {
        /// The peer's principal from mutual TLS, without `spiffe://` (`cluster.local/ns/foo/sa/sleep`).
        public var principal: String?
        /// The end user's `iss/sub` from a verified JWT.
        public var requestPrincipal: String?
        public var sourceIP: String?
        public var remoteIP: String?
        public var destinationIP: String?
        public var destinationPort: Int?
        public var host: String
        public var method: String
        /// The path without its query.
        public var path: String
        /// The request's headers (names in any case).
        public var headers: HeaderFields
        public var sni: String?
        /// What the verified JWT says (`request.auth.*`); nil without one.
        public var auth: RequestAuthAttributes?

        public init(principal: String? = nil, requestPrincipal: String? = nil, auth: RequestAuthAttributes? = nil, sourceIP: String? = nil, remoteIP: String? = nil, destinationIP: String? = nil,
                    destinationPort: Int? = nil, host: String = "", method: String = "GET", path: String = "/", headers: HeaderFields = [], sni: String? = nil) {
            self.principal = principal
            self.requestPrincipal = requestPrincipal ?? auth?.principal
            self.auth = auth
            self.sourceIP = sourceIP
            self.remoteIP = remoteIP
            self.destinationIP = destinationIP
            self.destinationPort = destinationPort
            self.host = host
            self.method = method
            self.path = path
            self.headers = headers
            self.sni = sni
        }

        /// The namespace of the peer's principal (`…/ns/NS/sa/…`).
        var sourceNamespace: String? {
            guard let principal, let range = principal.range(of: "/ns/") else { return nil }
            return String(principal[range.upperBound...].prefix { $0 != "/" })
        }
    }

    /// The outcome, and the policy that decided (nil: no policy applied, or no ALLOW matched).
    public struct Decision: Sendable, Equatable {
        public var allowed: Bool
        public var policy: String?
        /// AUDIT policies that matched.
        public var audited: [String] = []
        /// The index of the deciding policy's first matching rule.
        public var rule: Int?
    }

    /// The enforced decision, and the decision with dry-run policies included (nil when there are none).
    public static func evaluate(_ policies: [AuthorizationPolicyConfig], _ request: Request) -> (decision: Decision, shadow: Decision?) {
        let enforced = decide(policies, request, dryRun: false)
        guard policies.contains(where: \.dryRun) else { return (enforced, nil) }
        return (enforced, decide(policies, request, dryRun: true))
    }

    /// The provider of the first enforced CUSTOM policy a request matches: Istio asks it before
    /// DENY and ALLOW policies decide (one provider a workload, as Istio allows).
    public static func externalAuthorizer(_ policies: [AuthorizationPolicyConfig], _ request: Request) -> ExternalAuthorizer? {
        for policy in policies where policy.action == .custom && !policy.dryRun && matchingRule(policy, request) != nil {
            return policy.provider
        }
        return nil
    }

    /// One pass per action, allocating nothing on the way (this runs per request).
    static func decide(_ policies: [AuthorizationPolicyConfig], _ request: Request, dryRun: Bool) -> Decision {
        var audited: [String] = []
        for policy in policies where policy.action == .audit && (dryRun || !policy.dryRun) && matches(policy, request) { audited.append(policy.name) }
        for policy in policies where policy.action == .deny && (dryRun || !policy.dryRun) {
            if let rule = matchingRule(policy, request) { return Decision(allowed: false, policy: policy.name, audited: audited, rule: rule) }
        }
        var anyAllow = false
        for policy in policies where policy.action == .allow && (dryRun || !policy.dryRun) {
            anyAllow = true
            if let rule = matchingRule(policy, request) { return Decision(allowed: true, policy: policy.name, audited: audited, rule: rule) }
        }
        return Decision(allowed: !anyAllow, policy: nil, audited: audited)
    }

    static func matchingRule(_ policy: AuthorizationPolicyConfig, _ request: Request) -> Int? {
        policy.rules.firstIndex { matches($0, request) }
    }

    public static func matches(_ policy: AuthorizationPolicyConfig, _ request: Request) -> Bool {
        policy.rules.contains { matches($0, request) }
    }

    static func matches(_ rule: AuthorizationRule, _ request: Request) -> Bool {
        (rule.sources.isEmpty || rule.sources.contains { matches($0, request) })
            && (rule.operations.isEmpty || rule.operations.contains { matches($0, request) })
            && rule.conditions.allSatisfy { matches($0, request) }
    }

    static func matches(_ source: AuthorizationRule.Source, _ request: Request) -> Bool {
        list(source.principals, source.notPrincipals, request.principal, PolicyStringMatch.matches)
            && list(source.requestPrincipals, source.notRequestPrincipals, request.requestPrincipal, PolicyStringMatch.matches)
            && list(source.namespaces, source.notNamespaces, request.sourceNamespace, PolicyStringMatch.matches)
            && list(source.ipBlocks, source.notIpBlocks, request.sourceIP, IPBlock.contains)
            && list(source.remoteIpBlocks, source.notRemoteIpBlocks, request.remoteIP ?? request.sourceIP, IPBlock.contains)
    }

    static func matches(_ operation: AuthorizationRule.Operation, _ request: Request) -> Bool {
        // Hosts are compared case-insensitively: the request's host is lower-cased when parsed, the
        // policy's when translated.
        return list(operation.hosts, operation.notHosts, request.host, PolicyStringMatch.matches)
            && list(operation.ports, operation.notPorts, request.destinationPort.map { String($0) }, exact)
            && list(operation.methods, operation.notMethods, request.method, exact)
            && list(operation.paths, operation.notPaths, request.path, PolicyStringMatch.matches)
    }

    static func matches(_ condition: AuthorizationRule.Condition, _ request: Request) -> Bool {
        let ipKeys: Set<String> = ["source.ip", "remote.ip", "destination.ip"]
        let byAddress = ipKeys.contains(condition.key)
        func match(_ pattern: String, _ value: String) -> Bool { byAddress ? IPBlock.contains(pattern, value) : PolicyStringMatch.matches(pattern, value) }
        let actual = attribute(condition.key, request)
        let positive = condition.values.isEmpty || actual.contains { value in condition.values.contains { match($0, value) } }
        let negative = condition.notValues.isEmpty || !actual.contains { value in condition.notValues.contains { match($0, value) } }
        return positive && negative
    }

    /// The values of a `when` key (a header may repeat; absent is none).
    static func attribute(_ key: String, _ request: Request) -> [String] {
        if key.hasPrefix("request.auth.claims[") {
            return request.auth?.claimValues(RequestAuthAttributes.claimPath(key.dropFirst("request.auth.claims".count))) ?? []
        }
        if key.hasPrefix("request.headers["), key.hasSuffix("]") {
            let name = key.dropFirst("request.headers[".count).dropLast().lowercased()
            return request.headers.values(name: name)
        }
        switch key {
        case "source.ip": return request.sourceIP.map { [$0] } ?? []
        case "remote.ip": return (request.remoteIP ?? request.sourceIP).map { [$0] } ?? []
        case "source.namespace": return request.sourceNamespace.map { [$0] } ?? []
        case "source.principal": return request.principal.map { [$0] } ?? []
        case "source.serviceAccount":
            guard let namespace = request.sourceNamespace, let principal = request.principal, let range = principal.range(of: "/sa/") else { return [] }
            return ["\(namespace)/\(principal[range.upperBound...])"]
        case "request.auth.principal": return request.requestPrincipal.map { [$0] } ?? []
        case "request.auth.audiences": return request.auth?.audiences ?? []
        case "request.auth.presenter": return request.auth?.presenter.map { [$0] } ?? []
        case "destination.ip": return request.destinationIP.map { [$0] } ?? []
        case "destination.port": return request.destinationPort.map { [String($0)] } ?? []
        case "connection.sni": return request.sni.map { [$0] } ?? []
        default: return []
        }
    }

    private static func exact(_ pattern: String, _ value: String) -> Bool { pattern == value }

    /// A field and its `not` form: `wanted` empty or one matching, and none of `refused` matching.
    private static func list(_ wanted: [String], _ refused: [String], _ actual: String?, _ match: (String, String) -> Bool) -> Bool {
        if !wanted.isEmpty { guard let actual, wanted.contains(where: { match($0, actual) }) else { return false } }
        if !refused.isEmpty, let actual, refused.contains(where: { match($0, actual) }) { return false }
        return true
    }
}

/// Istio's string match in authorization: `*` is any non-empty value, `abc*` a prefix, `*abc` a
/// suffix, anything else exact.
public enum PolicyStringMatch {
    public static func matches(_ pattern: String, _ value: String) -> Bool {
        if pattern == "*" { return !value.isEmpty }
        if pattern.hasSuffix("*") { return value.hasPrefix(pattern.dropLast()) }
        if pattern.hasPrefix("*") { return value.hasSuffix(pattern.dropFirst()) }
        return pattern == value
    }
}

/// An IPv4 address or CIDR block (`10.0.0.0/8`, `127.0.0.1`) and whether it holds an address.
public enum IPBlock {
    public static func contains(_ block: String, _ address: String) -> Bool {
        let parts = block.split(separator: "/", maxSplits: 1)
        guard let base = ipv4(String(parts[0])), let value = ipv4(address) else { return block == address }
        let bits = parts.count == 2 ? Int(parts[1]) ?? 32 : 32
        guard (0...32).contains(bits) else { return false }
        let mask: UInt32 = bits == 0 ? 0 : ~UInt32(0) << UInt32(32 - bits)
        return base & mask == value & mask
    }

    static func ipv4(_ text: String) -> UInt32? {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var value: UInt32 = 0
        for octet in octets {
            guard let byte = UInt8(octet) else { return nil }
            value = value << 8 | UInt32(byte)
        }
        return value
    }
}
