import WeftAPI
import WeftModel

/// RequestAuthentication translator: the jwtRules of the RequestAuthentications that apply to a
/// proxy's workload (scoped as Istio scopes them), each with its key set resolved: inline `jwks`
/// wins; else what the control plane last fetched from `jwksUri` (empty until a fetch succeeds,
/// so tokens of that issuer are refused rather than let through). One rule per issuer: the
/// oldest policy's (by namespace, then name), as the first of duplicate providers wins in Istio.
public enum RequestAuthenticationTranslator {
    public static func translate(_ view: ProxyView) -> [JWTRuleConfig] {
        var seen: Set<String> = []
        var rules: [JWTRuleConfig] = []
        for policy in view.requestAuthentications {
            for rule in policy.spec.jwtRules ?? [] {
                guard let issuer = rule.issuer, !issuer.isEmpty, seen.insert(issuer).inserted else { continue }
                rules.append(config(rule, issuer: issuer, jwks: view.jwks))
            }
        }
        return rules
    }

    static func config(_ rule: JWTRule, issuer: String, jwks fetched: [String: String]) -> JWTRuleConfig {
        let uri = rule.jwksUri ?? ""
        let keys = rule.jwks ?? fetched[uri] ?? ""
        return JWTRuleConfig(issuer: issuer, audiences: rule.audiences ?? [], jwks: keys, jwksURI: rule.jwks == nil ? uri : "",
                             fromHeaders: (rule.fromHeaders ?? []).map { JWTRuleConfig.HeaderLocation(name: $0.name ?? "", prefix: $0.prefix ?? "") },
                             fromParams: rule.fromParams ?? [], fromCookies: rule.fromCookies ?? [],
                             forwardOriginalToken: rule.forwardOriginalToken ?? false, outputPayloadToHeader: rule.outputPayloadToHeader ?? "",
                             outputClaimToHeaders: (rule.outputClaimToHeaders ?? []).map { JWTRuleConfig.ClaimHeader(header: $0.header ?? "", claim: $0.claim ?? "") },
                             spaceDelimitedClaims: rule.spaceDelimitedClaims ?? [])
    }

    /// Every `jwksUri` the mesh's RequestAuthentications name without inline keys (what the control plane fetches).
    public static func remoteKeySets(_ index: ConfigIndex) -> Set<String> {
        Set(index.requestAuthentications.flatMap { $0.spec.jwtRules ?? [] }.filter { $0.jwks == nil }.compactMap(\.jwksUri).filter { !$0.isEmpty })
    }
}
