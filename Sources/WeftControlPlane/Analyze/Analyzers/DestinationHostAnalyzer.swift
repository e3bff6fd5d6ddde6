import WeftAPI

/// IST0101/IST0112/IST0140: every destination and mirror host is a known service, with a port
/// when the service has several, and subsets used from gateways have an effect.
struct DestinationHostAnalyzer: Analyzer {
    let name = "virtualservice.DestinationHostAnalyzer"
    let summary = "Checks the destination hosts associated with each virtual service"

    func analyze(_ context: AnalysisContext) -> [AnalysisMessage] {
        let services = ServiceHostIndex(context)
        let subsetDestinations = destinationsWithSubsets(context)
        var messages: [AnalysisMessage] = []
        for (resource, vs) in context.all(VirtualService.self) {
            let exportTo = vs.spec.exportTo ?? []
            for (destination, mirror) in RouteDestinations.of(vs.spec) {
                let host = destination.host ?? ""
                guard let service = services.lookup(host, from: resource.namespace, exportTo: exportTo) else {
                    messages.append(AnalysisMessage(Messages.referencedResourceNotFound, resource, "Referenced \(mirror ? "mirror host" : "host") not found: \"\(host)\""))
                    continue
                }
                if let port = destination.port?.number {
                    if !service.ports.contains(port) {
                        messages.append(AnalysisMessage(Messages.referencedResourceNotFound, resource, "Referenced host:port not found: \"\(host):\(port)\""))
                    }
                } else if service.ports.count > 1 {
                    messages.append(AnalysisMessage(Messages.virtualServiceDestinationPortSelectorRequired, resource,
                        "This VirtualService routes to a service \"\(host)\" that exposes multiple ports \(goList(service.ports.map(String.init))). Specifying a port in the destination is required to disambiguate."))
                }
            }
            // A subset chosen by a mesh VirtualService is lost when a gateway routes to the plain host.
            guard !(vs.spec.gateways ?? []).isEmpty else { continue }
            for route in vs.spec.http ?? [] {
                for destination in route.route ?? [] where (destination.destination?.subset ?? "").isEmpty {
                    for (other, destinations) in subsetDestinations {
                        for subsetDestination in destinations where subsetDestination.host == destination.destination?.host {
                            messages.append(AnalysisMessage(Messages.ingressRouteRulesNotAffected, resource,
                                "Subset in virtual service \(other) has no effect on ingress gateway \(resource.fullName) requests"))
                        }
                    }
                }
            }
        }
        return messages
    }

    /// VirtualServices (by full name) with destinations that name a subset of one of their own hosts.
    private func destinationsWithSubsets(_ context: AnalysisContext) -> [(String, [Destination])] {
        var result: [(String, [Destination])] = []
        for (resource, vs) in context.all(VirtualService.self) {
            var found: [Destination] = []
            for route in vs.spec.http ?? [] {
                for destination in route.route ?? [] {
                    guard let target = destination.destination, !(target.subset ?? "").isEmpty else { continue }
                    for host in vs.spec.hosts ?? [] where host == target.host { found.append(target) }
                }
            }
            if !found.isEmpty { result.append((resource.fullName, found)) }
        }
        return result
    }
}

/// The destinations of a VirtualService's tcp, tls and http routes, then its mirrors.
enum RouteDestinations {
    static func of(_ spec: VirtualServiceSpec) -> [(Destination, mirror: Bool)] {
        var result: [(Destination, mirror: Bool)] = []
        for route in spec.tcp ?? [] { result += (route.route ?? []).map { ($0.destination ?? Destination(), false) } }
        for route in spec.tls ?? [] { result += (route.route ?? []).map { ($0.destination ?? Destination(), false) } }
        for route in spec.http ?? [] { result += (route.route ?? []).map { ($0.destination ?? Destination(), false) } }
        for route in spec.http ?? [] {
            if let mirror = route.mirror { result.append((mirror, true)) }
            for mirror in route.mirrors ?? [] { result.append((mirror.destination ?? Destination(), true)) }
        }
        return result
    }
}
