import WeftAPI
import WeftModel

/// The VirtualService `tls` and `tcp` routes a sidecar's outbound listener applies to `CONNECT
/// host:port` tunnels (how clients that honour HTTPS_PROXY reach non-HTTP services in host mode),
/// as Istio's outbound listener of each port would apply them to a captured connection: each on
/// the port its match names, else on the ports of the services its hosts name.
enum TunnelRouteTranslator {
    /// `tls` routes, by the ClientHello's server name.
    static func sniRoutes(_ view: ProxyView) -> [SNIRoute] {
        var routes: [SNIRoute] = []
        for virtualService in view.virtualServices {
            guard let tls = virtualService.spec.tls, !tls.isEmpty else { continue }
            for route in tls {
                for match in route.match ?? [] {
                    for port in ports(match.port, of: virtualService, view: view)
                    where EgressListenerTranslator.holds(port: match.port, sourceLabels: match.sourceLabels, sourceNamespace: match.sourceNamespace,
                                                         gateways: match.gateways, listenerPort: port, view: view) {
                        let names = (match.sniHosts ?? []).map { $0.lowercased() }
                        guard !names.isEmpty else { continue }
                        routes.append(SNIRoute(sniHosts: names, destinations: EgressListenerTranslator.weighted(route.route ?? [], namespace: virtualService.namespace, port: port),
                                               port: port, destinationSubnets: match.destinationSubnets ?? []))
                    }
                }
            }
        }
        return routes
    }

    /// `tcp` routes, by the CONNECT authority: its name among the VirtualService's hosts, or its
    /// address inside a match's `destinationSubnets`.
    static func tcpRoutes(_ view: ProxyView) -> [TunnelTCPRoute] {
        var routes: [TunnelTCPRoute] = []
        for virtualService in view.virtualServices {
            guard let tcp = virtualService.spec.tcp, !tcp.isEmpty else { continue }
            let names = hostNames(of: virtualService)
            for route in tcp {
                // No match list: every port of the services the hosts name.
                let matches: [L4MatchAttributes?] = route.match.flatMap { $0.isEmpty ? nil : $0 } ?? [nil]
                for match in matches {
                    for port in ports(match?.port, of: virtualService, view: view) where match.map({ applies($0, port: port, view: view) }) ?? true {
                        routes.append(TunnelTCPRoute(hosts: names, port: port, destinationSubnets: match?.destinationSubnets ?? [],
                                                     destinations: EgressListenerTranslator.weighted(route.route ?? [], namespace: virtualService.namespace, port: port)))
                    }
                }
            }
        }
        return routes
    }

    /// The match's port, else the ports of the services the VirtualService's hosts name.
    private static func ports(_ port: Int?, of virtualService: VirtualService, view: ProxyView) -> [Int] {
        if let port { return [port] }
        let hosts = (virtualService.spec.hosts ?? []).map { HostName(HostNames.resolve($0, in: virtualService.namespace)) }
        return Set(view.services.filter { service in hosts.contains { $0.matches(HostName(service.hostname)) } }.flatMap { $0.ports.map(\.number) }).sorted()
    }

    private static func applies(_ match: L4MatchAttributes, port: Int, view: ProxyView) -> Bool {
        EgressListenerTranslator.holds(port: match.port, sourceLabels: match.sourceLabels, sourceNamespace: match.sourceNamespace,
                                       gateways: match.gateways, listenerPort: port, view: view)
    }

    /// The names a client may CONNECT to for the VirtualService's hosts: a cluster service's full
    /// name and its short forms (`greeter`, `greeter.default`, `greeter.default.svc`), others as written.
    private static func hostNames(of virtualService: VirtualService) -> [String] {
        var names: [String] = []
        for host in virtualService.spec.hosts ?? [] {
            let full = HostNames.resolve(host, in: virtualService.namespace).lowercased()
            names.append(full)
            if full.hasSuffix(".svc.cluster.local") {
                let labels = full.split(separator: ".")
                if labels.count >= 2 { names += [String(labels[0]), "\(labels[0]).\(labels[1])", "\(labels[0]).\(labels[1]).svc"] }
            }
        }
        return Array(Set(names)).sorted()
    }
}
