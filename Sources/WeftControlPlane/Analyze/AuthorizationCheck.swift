import Foundation
import WeftJWT
import WeftModel

/// `weft x authz check POD [--request 'GET /path' ...]`: the AuthorizationPolicies that apply to a
/// proxy's workload with their rules (istioctl's `x authz check`), and, for one described request,
/// the decision of the proxy's own engine with the policy and rule that made it.
public enum AuthorizationCheck {
    /// A policy as listed: action, name, whether dry-run, and each rule in words.
    public static func describe(_ policies: [AuthorizationPolicyConfig]) -> [[String: Any]] {
        policies.map { policy in
            ["name": policy.name, "action": policy.action.rawValue, "dryRun": policy.dryRun, "rules": policy.rules.map(describe)]
        }
    }

    static func describe(_ rule: AuthorizationRule) -> String {
        var parts: [String] = []
        func field(_ name: String, _ values: [String]) { if !values.isEmpty { parts.append("\(name)=\(values.joined(separator: ","))") } }
        for source in rule.sources {
            field("from.principals", source.principals); field("from.notPrincipals", source.notPrincipals)
            field("from.requestPrincipals", source.requestPrincipals); field("from.notRequestPrincipals", source.notRequestPrincipals)
            field("from.namespaces", source.namespaces); field("from.notNamespaces", source.notNamespaces)
            field("from.ipBlocks", source.ipBlocks); field("from.notIpBlocks", source.notIpBlocks)
            field("from.remoteIpBlocks", source.remoteIpBlocks); field("from.notRemoteIpBlocks", source.notRemoteIpBlocks)
        }
        for operation in rule.operations {
            field("to.hosts", operation.hosts); field("to.notHosts", operation.notHosts); field("to.ports", operation.ports); field("to.notPorts", operation.notPorts)
            field("to.methods", operation.methods); field("to.notMethods", operation.notMethods); field("to.paths", operation.paths); field("to.notPaths", operation.notPaths)
        }
        for condition in rule.conditions {
            field("when.\(condition.key)", condition.values)
            field("when.\(condition.key).not", condition.notValues)
        }
        return parts.isEmpty ? "(any request)" : parts.joined(separator: " ")
    }

    /// The query's request (`method`, `path`, `from=ns/sa`, `header=name:value`, `host`, `port`) as the engine sees it.
    public static func request(query: [String: String], headers: [(name: String, value: String)], trustDomain: String, defaultPort: Int?) -> AuthorizationEngine.Request {
        let principal = query["from"].flatMap { from -> String? in
            let parts = from.split(separator: "/", maxSplits: 1)
            return parts.count == 2 ? "\(trustDomain)/ns/\(parts[0])/sa/\(parts[1])" : nil
        }
        let rawPath = query["path"] ?? "/"
        return AuthorizationEngine.Request(principal: principal, sourceIP: query["sourceIP"], remoteIP: query["sourceIP"], destinationPort: query["port"].flatMap(Int.init) ?? defaultPort,
                                           host: (query["host"] ?? "").lowercased().split(separator: ":").first.map(String.init) ?? "", method: query["method"] ?? "GET",
                                           path: String(rawPath.prefix { $0 != "?" }), headers: HeaderFields(headers.map { ($0.name, $0.value) }))
    }

    /// The token verified as the proxy verifies it, against the workload's RequestAuthentication rules.
    public static func authenticate(token: String, rules: [JWTRuleConfig]) -> Result<RequestAuthAttributes, JWTFailure> {
        let trimmed = token.trimmingCharacters(in: .whitespacesAndNewlines)
        let bare = trimmed.hasPrefix("Bearer ") ? String(trimmed.dropFirst(7)) : trimmed
        return JWTAuthenticator(rules: rules).verify(Substring(bare)).map(\.0)
    }
}
