import WeftAPI

/// IST0109: VirtualServices bound to the mesh that claim the same host where both are visible.
struct ConflictingMeshGatewayHostsAnalyzer: Analyzer {
    let name = "virtualservice.ConflictingMeshGatewayHostsAnalyzer"
    let summary = "Checks if multiple virtual services associated with the mesh gateway have conflicting hosts"

    func analyze(_ context: AnalysisContext) -> [AnalysisMessage] {
        // scope ("*" or a namespace) + "/" + FQDN → VirtualServices, in input order.
        var byScopedHost: [String: [AnalyzedResource]] = [:]
        var order: [String] = []
        for (resource, vs) in context.all(VirtualService.self) {
            let gateways = vs.spec.gateways ?? []
            guard gateways.isEmpty || gateways.contains("mesh") else { continue }
            let exportTo = vs.spec.exportTo ?? []
            let scopes: [String]
            if exportTo.isEmpty || exportTo.contains("*") {
                scopes = ["*"]
            } else {
                var seen: [String] = []
                for entry in exportTo {
                    let scope = entry == "." ? resource.namespace : entry
                    if !seen.contains(scope) { seen.append(scope) }
                }
                scopes = seen
            }
            for scope in scopes {
                for host in vs.spec.hosts ?? [] {
                    let key = MeshHosts.scoped(scope, namespace: resource.namespace, host: host)
                    if byScopedHost[key] == nil { order.append(key) }
                    byScopedHost[key, default: []].append(resource)
                }
            }
        }
        var reported: Set<String> = []
        var messages: [AnalysisMessage] = []
        for key in order {
            var list = byScopedHost[key] ?? []
            let (scope, host) = split(key)
            if scope != "*" {
                for other in order {
                    let (otherScope, otherHost) = split(other)
                    if otherScope == "*" && HostName(host).matches(HostName(otherHost)) {
                        list.append(contentsOf: byScopedHost[other] ?? [])
                    }
                }
            }
            guard list.count > 1 else { continue }
            let names = list.map(\.fullName).joined(separator: ",")
            for resource in list where reported.insert(resource.fullName).inserted {
                messages.append(AnalysisMessage(Messages.conflictingMeshGatewayVirtualServiceHosts, resource,
                    "The VirtualServices \(names) associated with mesh gateway define the same host \(key) which can lead to undefined behavior. This can be fixed by merging the conflicting VirtualServices into a single resource."))
            }
        }
        return messages
    }

    private func split(_ key: String) -> (String, String) {
        let parts = key.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
    }
}
