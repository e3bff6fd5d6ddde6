import WeftAPI

/// WFT0001 (Weft's own; Istio only logs it): a RequestAuthentication's `jwksUri` whose last fetch
/// failed. A Warning while the proxies still hold the last good key set, an Error when none was
/// ever fetched (every token of that issuer is refused). Reads what the control plane observed,
/// so it speaks only when analyzing a running control plane (`weft get`, `--use-control-plane`).
struct JWKSFetchAnalyzer: Analyzer {
    let name = "authn.JwksFetchAnalyzer"
    let summary = "Checks that every jwksUri of a RequestAuthentication was fetched by the control plane"

    func analyze(_ context: AnalysisContext) -> [AnalysisMessage] {
        guard !context.input.keySetFetches.isEmpty else { return [] }
        var messages: [AnalysisMessage] = []
        for (resource, authn) in context.all(RequestAuthentication.self) {
            messages += Self.messages(for: authn, resource.ref, context.input.keySetFetches)
        }
        return messages
    }

    /// The messages for one RequestAuthentication, given the control plane's fetch states.
    static func messages(for authn: RequestAuthentication, _ ref: ResourceRef, _ fetches: [JWKSStatuses.Status]) -> [AnalysisMessage] {
        var messages: [AnalysisMessage] = []
        for rule in authn.spec.jwtRules ?? [] where rule.jwks == nil {
            guard let uri = rule.jwksUri, let status = fetches.first(where: { $0.uri == uri }), let error = status.lastError else { continue }
            let issuer = rule.issuer ?? ""
            let failures = status.failures == 1 ? "1 failure" : "\(status.failures) failures"
            if status.keys > 0 {
                let age = status.fetchedSecondsAgo.map { " fetched \(Int($0)) s ago" } ?? ""
                messages.append(AnalysisMessage(Messages.jwksFetchFailed, ref: ref,
                    "The JWKS of issuer \(issuer) could not be fetched from \(uri) (\(error); \(failures)); proxies keep the last good key set\(age).", line: 0))
            } else {
                messages.append(AnalysisMessage(MessageType(Messages.jwksFetchFailed.code, Messages.jwksFetchFailed.name, .Error), ref: ref,
                    "The JWKS of issuer \(issuer) could not be fetched from \(uri) (\(error); \(failures)); no key set was ever fetched, so every token of this issuer is refused with 401.", line: 0))
            }
        }
        return messages
    }
}
