import WeftAPI

/// IST0149: routing on JWT claims at a gateway needs a RequestAuthentication on the gateway's pods.
struct JWTClaimRouteAnalyzer: Analyzer {
    let name = "virtualservice.JWTClaimRouteAnalyzer"
    let summary = "Checks the VirtualService using JWT claim based routing has corresponding RequestAuthentication"

    func analyze(_ context: AnalysisContext) -> [AnalysisMessage] {
        var selectorsByNamespace: [String: [LabelMatcher]] = [:]
        for (resource, authn) in context.all(RequestAuthentication.self) {
            selectorsByNamespace[resource.namespace, default: []].append(LabelMatcher(authn.spec.selector?.matchLabels))
        }
        var messages: [AnalysisMessage] = []
        for (resource, vs) in context.all(VirtualService.self) {
            guard let key = claimKey(vs.spec) else { continue }
            for gatewayName in vs.spec.gateways ?? [] where gatewayName != "mesh" {
                let target = MeshHosts.shortOrFullName(gatewayName, namespace: resource.namespace)
                guard let (_, gateway) = context.find(Gateway.self, namespace: target.namespace, name: target.name) else { continue }
                let selector = LabelMatcher(gateway.spec.selector)
                for (pod, _) in context.pods where selector.matches(pod.labels) {
                    let selectors = (selectorsByNamespace["istio-system"] ?? []) + (selectorsByNamespace[pod.namespace] ?? [])
                    if !selectors.contains(where: { $0.matches(pod.labels) }) {
                        let full = target.namespace.isEmpty ? target.name : "\(target.namespace)/\(target.name)"
                        messages.append(AnalysisMessage(Messages.jwtClaimBasedRoutingWithoutRequestAuthN, resource,
                            "The virtual service uses the JWT claim based routing (key: \(key)) but found no request authentication for the gateway (\(full)) pod (\(pod.name)). The request authentication must first be applied for the gateway pods to validate the JWT token and make the claims available for routing."))
                    }
                }
            }
        }
        return messages
    }

    private func claimKey(_ spec: VirtualServiceSpec) -> String? {
        for route in spec.http ?? [] {
            for match in route.match ?? [] {
                for key in (match.headers ?? [:]).keys.sorted() where key.hasPrefix(JWTClaimRoute.prefix) { return key }
                for key in (match.withoutHeaders ?? [:]).keys.sorted() where key.hasPrefix(JWTClaimRoute.prefix) { return key }
            }
        }
        return nil
    }
}
