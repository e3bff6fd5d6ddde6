import WeftAPI

/// IST0101: every host+subset a VirtualService routes or mirrors to is defined by a DestinationRule.
struct VirtualServiceDestinationRuleAnalyzer: Analyzer {
    let name = "virtualservice.DestinationRuleAnalyzer"
    let summary = "Checks the destination rules associated with each virtual service"

    private struct HostSubset: Hashable {
        var namespace: String
        var name: String
        var subset: String
    }

    func analyze(_ context: AnalysisContext) -> [AnalysisMessage] {
        var known: Set<HostSubset> = []
        for (resource, rule) in context.all(DestinationRule.self) {
            let host = MeshHosts.fqdn(rule.spec.host ?? "", namespace: resource.namespace)
            let target = MeshHosts.resourceName(fromHost: host, defaultNamespace: resource.namespace)
            for subset in rule.spec.subsets ?? [] {
                known.insert(HostSubset(namespace: target.namespace, name: target.name, subset: subset.name ?? ""))
            }
        }
        var messages: [AnalysisMessage] = []
        for (resource, vs) in context.all(VirtualService.self) {
            for (destination, mirror) in RouteDestinations.of(vs.spec) {
                guard let subset = destination.subset, !subset.isEmpty else { continue }
                let host = destination.host ?? ""
                let target = MeshHosts.resourceName(fromHost: host, defaultNamespace: resource.namespace)
                if !known.contains(HostSubset(namespace: target.namespace, name: target.name, subset: subset)) {
                    messages.append(AnalysisMessage(Messages.referencedResourceNotFound, resource,
                        "Referenced \(mirror ? "mirror" : "host")+subset in destinationrule not found: \"\(host)+\(subset)\""))
                }
            }
        }
        return messages
    }
}
