import WeftAPI

/// IST0175: RequestAuthentications exist but the istiod Deployment (`app: istiod`) sets no
/// `BLOCKED_CIDRS_IN_JWKS_URIS`, so any namespace's jwksUri can make the control plane fetch
/// from inside the network. Weft's control plane reads the same variable (`JWKSAddressPolicy`).
struct BlockedCIDRsAnalyzer: Analyzer {
    let name = "authn.BlockedCIDRsAnalyzer"
    let summary = "Checks that BLOCKED_CIDRS_IN_JWKS_URIS is configured on istiod when RequestAuthentication resources exist"

    func analyze(_ context: AnalysisContext) -> [AnalysisMessage] {
        let names = context.all(RequestAuthentication.self).map { $0.0.fullName }
        guard !names.isEmpty else { return [] }
        var messages: [AnalysisMessage] = []
        for (resource, deployment) in context.all(Deployment.self) where resource.labels["app"] == "istiod" {
            let containers = deployment.spec?.template?.spec?.containers ?? []
            let configured = containers.contains { ($0.env ?? []).contains { $0.name == "BLOCKED_CIDRS_IN_JWKS_URIS" && !($0.value ?? "").isEmpty } }
            guard !configured else { continue }
            let shown = names.count <= 5 ? names.joined(separator: ", ") : names.prefix(5).joined(separator: ", ") + ", and \(names.count - 5) more"
            messages.append(AnalysisMessage(Messages.jwksUriFetchUnrestricted, resource,
                "BLOCKED_CIDRS_IN_JWKS_URIS is not configured but \(names.count) RequestAuthentication resource(s) exist (\(shown)). Consider configuring it to restrict JWKS URI fetches to trusted networks."))
        }
        return messages
    }
}
