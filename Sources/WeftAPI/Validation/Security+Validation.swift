import Foundation

extension PeerAuthenticationSpec {
    public func validate(into v: inout Validator, at path: FieldPath, meta: ObjectMeta) {
        let emptySelector = (selector?.matchLabels ?? [:]).isEmpty
        if emptySelector && !(portLevelMtls ?? [:]).isEmpty {
            v.error(path / "portLevelMtls", "mesh/namespace peer authentication cannot have port level mTLS")
        }
        if let portLevelMtls, portLevelMtls.isEmpty {
            v.error(path / "portLevelMtls", "port level mTLS, if defined, must have at least one element")
        }
        for key in (portLevelMtls ?? [:]).keys.sorted() {
            guard let port = Int(key), Names.isPort(port) else {
                v.error(path / "portLevelMtls" / key, "port must be in range 1..65535")
                continue
            }
        }
        v.validateWorkloadSelector(selector, path / "selector")
    }
}

extension AuthorizationPolicySpec {
    public func validate(into v: inout Validator, at path: FieldPath, meta: ObjectMeta) {
        v.validatePolicyTarget(selector: selector, targetRef: targetRef, targetRefs: targetRefs, path)
        let action = self.action ?? .ALLOW
        if action == .CUSTOM {
            if rules == nil {
                v.error(path / "rules", "CUSTOM action without `rules` is meaningless as it will never be triggered, add an empty rule `{}` if you want it be triggered for every request")
            } else if (provider?.name ?? "").isEmpty {
                v.error(path / "provider" / "name", "`provider.name` must not be empty")
            }
            v.each(rules, path / "rules") { v, rule, rulePath in
                v.each(rule.from, rulePath / "from") { v, from, fromPath in
                    guard let source = from.source else { return }
                    for (field, list) in [("namespaces", source.namespaces), ("notNamespaces", source.notNamespaces), ("principals", source.principals), ("notPrincipals", source.notPrincipals), ("requestPrincipals", source.requestPrincipals), ("notRequestPrincipals", source.notRequestPrincipals)] where !(list ?? []).isEmpty {
                        v.error(fromPath / "source" / field, "\(field) is currently not supported with CUSTOM action")
                    }
                }
                v.each(rule.when, rulePath / "when") { v, condition, conditionPath in
                    let key = condition.key ?? ""
                    if key == "source.namespace" || key == "source.principal" || key.hasPrefix("request.auth.") {
                        v.error(conditionPath / "key", "\(key) is currently not supported with CUSTOM action")
                    }
                }
            }
        }
        if provider != nil && action != .CUSTOM {
            v.error(path / "provider", "`provider` must not be with non CUSTOM action, found \(action.rawValue)")
        }
        if action == .DENY && rules == nil {
            v.error(path / "rules", "DENY action without `rules` is meaningless as it will never be triggered, add an empty rule `{}` if you want it be triggered for every request")
        }
        v.each(rules, path / "rules") { v, rule, rulePath in
            rule.validate(into: &v, at: rulePath, action: action)
        }
    }
}

extension AuthorizationPolicySpec.Rule {
    func validate(into v: inout Validator, at path: FieldPath, action: AuthorizationPolicySpec.Action) {
        if let from, from.isEmpty { v.error(path / "from", "`from` must not be empty") }
        if let to, to.isEmpty { v.error(path / "to", "`to` must not be empty") }
        var tcpInFrom = false, tcpInTo = false, fromExists = false, toExists = false
        v.each(from, path / "from") { v, entry, entryPath in
            guard let source = entry.source else { v.error(entryPath / "source", "`from.source` must not be nil"); return }
            fromExists = true
            let sourcePath = entryPath / "source"
            let lists: [(String, [String]?)] = [
                ("principals", source.principals), ("notPrincipals", source.notPrincipals),
                ("requestPrincipals", source.requestPrincipals), ("notRequestPrincipals", source.notRequestPrincipals),
                ("namespaces", source.namespaces), ("notNamespaces", source.notNamespaces),
                ("serviceAccounts", source.serviceAccounts), ("notServiceAccounts", source.notServiceAccounts),
                ("ipBlocks", source.ipBlocks), ("notIpBlocks", source.notIpBlocks),
                ("remoteIpBlocks", source.remoteIpBlocks), ("notRemoteIpBlocks", source.notRemoteIpBlocks),
            ]
            if lists.allSatisfy({ ($0.1 ?? []).isEmpty }) { v.error(sourcePath, "`from.source` must not be empty") }
            for (field, list) in lists {
                for (index, value) in (list ?? []).enumerated() {
                    if value.isEmpty { v.error(sourcePath / field / index, "empty value not allowed, found in \(field)") }
                }
                if field.lowercased().hasSuffix("ipblocks") {
                    for (index, value) in (list ?? []).enumerated() where !value.isEmpty {
                        if let problem = Names.cidrProblem(value) { v.error(sourcePath / field / index, problem) }
                    }
                }
            }
            if source.serviceAccounts != nil || source.notServiceAccounts != nil {
                if source.principals != nil || source.notPrincipals != nil {
                    v.error(sourcePath / "serviceAccounts", "cannot set serviceAccounts and principals together")
                }
                for (field, list) in [("serviceAccounts", source.serviceAccounts), ("notServiceAccounts", source.notServiceAccounts)] {
                    for (index, value) in (list ?? []).enumerated() where value.split(separator: "/").count != 2 {
                        v.error(sourcePath / field / index, "service account \"\(value)\" must be of the form namespace/name")
                    }
                }
            }
            for (field, list) in [("principals", source.principals), ("notPrincipals", source.notPrincipals)] {
                for (index, value) in (list ?? []).enumerated() where value.hasPrefix("spiffe://") {
                    v.error(sourcePath / field / index, "principal \"\(value)\" must not include the spiffe:// prefix; write \"\(value.dropFirst("spiffe://".count))\"")
                }
            }
            for (field, list) in [("namespaces", source.namespaces), ("notNamespaces", source.notNamespaces)] {
                for (index, value) in (list ?? []).enumerated() where !value.isEmpty && !value.contains("*") && !Names.isDNS1123Label(value) {
                    v.error(sourcePath / field / index, "namespace \"\(value)\" is not a valid namespace name")
                }
            }
            if [source.principals, source.notPrincipals, source.ipBlocks, source.notIpBlocks, source.namespaces, source.notNamespaces, source.remoteIpBlocks, source.notRemoteIpBlocks, source.serviceAccounts, source.notServiceAccounts].contains(where: { $0 != nil }) {
                tcpInFrom = true
            }
        }
        v.each(to, path / "to") { v, entry, entryPath in
            guard let operation = entry.operation else { v.error(entryPath / "operation", "`to.operation` must not be nil"); return }
            toExists = true
            let operationPath = entryPath / "operation"
            let lists: [(String, [String]?)] = [
                ("hosts", operation.hosts), ("notHosts", operation.notHosts), ("ports", operation.ports), ("notPorts", operation.notPorts),
                ("methods", operation.methods), ("notMethods", operation.notMethods), ("paths", operation.paths), ("notPaths", operation.notPaths),
            ]
            if lists.allSatisfy({ ($0.1 ?? []).isEmpty }) { v.error(operationPath, "`to.operation` must not be empty") }
            for (field, list) in lists {
                for (index, value) in (list ?? []).enumerated() {
                    if value.isEmpty { v.error(operationPath / field / index, "empty value not allowed, found in \(field)") }
                    else if field.lowercased().hasSuffix("ports"), !(Int(value).map(Names.isPort) ?? false) {
                        v.error(operationPath / field / index, "invalid port \"\(value)\": must be a number in 1..65535")
                    } else if field.lowercased().hasSuffix("paths"), let problem = AuthorizationPathTemplate.problem(value) {
                        v.error(operationPath / field / index, problem)
                    }
                }
            }
            if operation.ports != nil || operation.notPorts != nil { tcpInTo = true }
        }
        v.each(when, path / "when") { v, condition, conditionPath in
            let key = condition.key ?? ""
            if key.isEmpty { v.error(conditionPath / "key", "`key` must not be empty"); return }
            if (condition.values ?? []).isEmpty && (condition.notValues ?? []).isEmpty {
                v.error(conditionPath, "at least one of `values` or `notValues` must be set for key \(key)")
                return
            }
            if let problem = AuthorizationCondition.problem(key: key, values: (condition.values ?? []) + (condition.notValues ?? [])) {
                v.error(conditionPath / "key", problem)
            } else if key.hasPrefix("experimental.") {
                // Weft's own rule after Istio's: Envoy filter metadata does not exist here, and a
                // condition that can never be read would silently change what the policy means.
                v.error(conditionPath / "key", "\(key) reads Envoy filter metadata, which Weft does not have: not supported")
            }
        }
        if ((fromExists && !toExists && !tcpInFrom) || (toExists && !tcpInTo)) && action == .DENY {
            v.warning(path, "configured AuthorizationPolicy will deny all traffic to TCP ports under its scope due to the use of only HTTP attributes in a DENY rule; it is recommended to explicitly specify the port")
        }
    }
}

/// The `when` keys Istio's authorization understands, and the values each accepts.
public enum AuthorizationCondition {
    static let plainKeys: Set<String> = [
        "request.auth.principal", "request.auth.audiences", "request.auth.presenter", "source.ip", "remote.ip",
        "source.namespace", "source.principal", "source.serviceAccount", "destination.ip", "destination.port",
        "connection.sni", "experimental.envoy.filters.network.mysql_proxy[db.table]",
    ]

    public static func problem(key: String, values: [String]) -> String? {
        if key.hasPrefix("request.headers[") || key.hasPrefix("request.auth.claims[") || key.hasPrefix("experimental.") {
            guard key.hasSuffix("]"), key.firstIndex(of: "[").map({ key.index(after: $0) < key.index(before: key.endIndex) }) ?? false else {
                return "invalid key \(key): the name inside [] must not be empty"
            }
            return nil
        }
        guard plainKeys.contains(key) else { return "unknown attribute \(key)" }
        switch key {
        case "source.ip", "remote.ip", "destination.ip":
            if let bad = values.first(where: { Names.cidrProblem($0) != nil }) { return "invalid value \"\(bad)\" for \(key): not an IP address or CIDR block" }
        case "destination.port":
            if let bad = values.first(where: { !(Int($0).map(Names.isPort) ?? false) }) { return "invalid value \"\(bad)\" for \(key): not a port number" }
        default:
            break
        }
        return nil
    }
}

/// Istio's path templates in authorization paths: `{*}` and `{**}` as whole segments.
public enum AuthorizationPathTemplate {
    public static func problem(_ path: String) -> String? {
        guard path.contains("{") || path.contains("}") else { return nil }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        for (index, segment) in segments.enumerated() where segment.contains("{") || segment.contains("}") {
            if segment != "{*}" && segment != "{**}" {
                return "invalid or unsupported path \(path): only {*} and {**} are supported, as whole path segments"
            }
            if segment == "{**}" && index != segments.count - 1 {
                return "invalid or unsupported path \(path): {**} is allowed only as the last segment"
            }
        }
        return nil
    }
}

extension RequestAuthenticationSpec {
    public func validate(into v: inout Validator, at path: FieldPath, meta: ObjectMeta) {
        v.validatePolicyTarget(selector: selector, targetRef: targetRef, targetRefs: targetRefs, path)
        var issuers: Set<String> = []
        v.each(jwtRules, path / "jwtRules") { v, rule, rulePath in
            let issuer = rule.issuer ?? ""
            if issuer.isEmpty { v.error(rulePath / "issuer", "issuer must be set") }
            else if !issuers.insert(issuer).inserted { v.warning(rulePath / "issuer", "issuer \(issuer) appears in more than one rule") }
            for (index, audience) in (rule.audiences ?? []).enumerated() where audience.isEmpty {
                v.error(rulePath / "audiences" / index, "audience must be non-empty string")
            }
            if let uri = rule.jwksUri, !uri.isEmpty {
                if let problem = JWKSLocation.problem(uri) { v.error(rulePath / "jwksUri", problem) }
            }
            if rule.jwksUri != nil && rule.jwks != nil { v.warning(rulePath / "jwks", "both jwks and jwksUri are set; jwks is used") }
            if let jwks = rule.jwks, let problem = JWKSLocation.jwksProblem(jwks) { v.error(rulePath / "jwks", problem) }
            for (index, header) in (rule.fromHeaders ?? []).enumerated() where (header.name ?? "").isEmpty {
                v.error(rulePath / "fromHeaders" / index / "name", "location header name must be non-empty string")
            }
            for (index, param) in (rule.fromParams ?? []).enumerated() where param.isEmpty {
                v.error(rulePath / "fromParams" / index, "location query must be non-empty string")
            }
            for (index, cookie) in (rule.fromCookies ?? []).enumerated() where cookie.isEmpty {
                v.error(rulePath / "fromCookies" / index, "cookie name must be non-empty string")
            }
            for (index, claim) in (rule.outputClaimToHeaders ?? []).enumerated() {
                if (claim.claim ?? "").isEmpty || (claim.header ?? "").isEmpty {
                    v.error(rulePath / "outputClaimToHeaders" / index, "outputClaimToHeaders header and claim value must be non-empty string")
                } else if let problem = Names.istioHeaderNameProblem(claim.header ?? "") {
                    v.error(rulePath / "outputClaimToHeaders" / index / "header", problem)
                }
            }
            v.validateDuration(rule.timeout, rulePath / "timeout")
        }
    }
}

/// Where a JWKS comes from: an http(s) URI, or inline JSON with a `keys` list.
public enum JWKSLocation {
    public static func problem(_ uri: String) -> String? {
        guard let scheme = uri.split(separator: ":", maxSplits: 1).first, ["http", "https"].contains(scheme.lowercased()), uri.contains("://") else {
            return "jwksUri \"\(uri)\" must be an http or https URL"
        }
        let rest = uri.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false)
        if rest.count < 3 || rest[2].isEmpty { return "jwksUri \"\(uri)\" has no host" }
        return nil
    }

    public static func jwksProblem(_ jwks: String) -> String? {
        guard let data = jwks.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            return "jwks parse error: not a JSON object"
        }
        guard let keys = object["keys"] as? [Any] else { return "jwks parse error: no \"keys\" list" }
        for key in keys {
            guard let key = key as? [String: Any], key["kty"] is String else { return "jwks parse error: every key needs a \"kty\"" }
        }
        return nil
    }
}
