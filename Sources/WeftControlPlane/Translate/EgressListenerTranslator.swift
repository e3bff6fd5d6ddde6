import WeftAPI
import WeftModel

/// A Sidecar resource's egress listeners that name a port: in host mode nothing captures an app's
/// connections, so each such port is a listener on the pod IP, or on the listener's `bind` address
/// (Istio's `captureMode: NONE` form), that the app connects to for the services of the listener's
/// hosts; `captureMode: IPTABLES` ports are left to transparent capture. A TCP port's connections go
/// to the clusters of the first VirtualService `tcp` route that matches (port, sourceLabels,
/// sourceNamespace, the `mesh` gateway), else to the one service of the hosts on that port; a TLS
/// port's by the ClientHello's server name (`tls` routes' `sniHosts`, then each service's names);
/// an HTTP port is routed as the outbound proxy routes.
enum EgressListenerTranslator {
    static func translate(_ view: ProxyView, outboundPort: Int) -> [ListenerConfig] {
        guard view.proxy.mode == .sidecar else { return [] }
        var taken = Set(view.proxy.ports.values)
        taken.insert(outboundPort)
        var listeners: [ListenerConfig] = []
        for egress in view.egressListeners {
            // IPTABLES: the port is for transparent capture, which host mode does not have; its
            // connections come through the outbound proxy (15001) like any other.
            guard egress.captureMode != .IPTABLES else { continue }
            // A port the pod already listens on (inbound, 15001) cannot be bound twice on its IP.
            guard let number = egress.port?.number, (1...65535).contains(number), egress.bind != nil || !taken.contains(number) else { continue }
            if egress.bind == nil { taken.insert(number) }
            let declared = egress.port?.protocol ?? egress.port?.name.map { String($0.split(separator: "-").first ?? "") }
            let known = declared.map { Protocols.isKnown($0.lowercased()) } ?? false
            let http = declared.map { Protocols.isHTTP($0) } ?? false
            let tls = declared.map { ["tls", "https"].contains($0.lowercased()) } ?? false
            // Undeclared: sniffed, HTTP routed as the outbound proxy routes, anything else as TCP.
            let protocolName = !known ? "AUTO" : http ? "HTTP" : tls ? "TLS" : "TCP"
            let name = egress.bind.map { "egress|\($0):\(number)" } ?? "egress|\(number)"
            var listener = ListenerConfig(name: name, port: number, direction: .egress, protocolName: protocolName,
                                          routeTable: http || !known ? "outbound" : nil, hosts: egress.hosts ?? [])
            if !http { listener.tcpDestinations = tcpDestinations(port: number, hosts: egress.hosts ?? [], view: view) }
            if !known { listener.protocolDetectionTimeoutMs = view.protocolDetectionTimeoutMs }
            if tls { listener.sniRoutes = sniRoutes(port: number, hosts: egress.hosts ?? [], view: view) }
            listener.bindAddress = egress.bind.flatMap { $0.isEmpty ? nil : $0 }
            listener.accessLogs = view.clientTelemetry.accessLogs
            listener.tracing = view.clientTelemetry.tracing
            listener.metrics = view.clientTelemetry.metrics
            listeners.append(listener)
        }
        return listeners
    }

    /// Where a connection to the egress port `port` goes.
    static func tcpDestinations(port: Int, hosts: [String], view: ProxyView) -> [WeightedCluster] {
        let services = egressServices(port: port, hosts: hosts, view: view)
        for virtualService in virtualServices(of: services, view: view) {
            for route in virtualService.spec.tcp ?? [] where matches(route.match, port: port, view: view) {
                return weighted(route.route ?? [], namespace: virtualService.namespace, port: port)
            }
        }
        return services.first.map { [WeightedCluster(cluster: "outbound|\(port)||\($0.hostname)", weight: 100)] } ?? []
    }

    /// Where a TLS connection to the egress port `port` goes by its server name: the `tls` routes
    /// that match this proxy (in order), then each service of the hosts by its own names.
    static func sniRoutes(port: Int, hosts: [String], view: ProxyView) -> [SNIRoute] {
        let services = egressServices(port: port, hosts: hosts, view: view)
        let egressHosts = hosts.compactMap { SidecarScope.parse($0, proxyNamespace: view.proxy.namespace) }
        // A tls route's VirtualService names the SNI hosts (`*.example.com`), which need not be a
        // service's: it applies when the listener's hosts pick it, or when it names one of the services.
        let picked = view.virtualServices.filter { virtualService in
            (virtualService.spec.hosts ?? []).contains { host in
                egressHosts.contains { ($0.namespace == nil || $0.namespace == virtualService.namespace) && $0.dnsName.matches(HostName(host)) }
            }
        }
        let candidates = picked + virtualServices(of: services, view: view).filter { candidate in !picked.contains { $0 == candidate } }
        var routes: [SNIRoute] = []
        for virtualService in candidates {
            for route in virtualService.spec.tls ?? [] {
                let names = (route.match ?? []).filter {
                    holds(port: $0.port, sourceLabels: $0.sourceLabels, sourceNamespace: $0.sourceNamespace, gateways: $0.gateways, listenerPort: port, view: view)
                }.flatMap { $0.sniHosts ?? [] }
                guard !names.isEmpty else { continue }
                routes.append(SNIRoute(sniHosts: names.map { $0.lowercased() }, destinations: weighted(route.route ?? [], namespace: virtualService.namespace, port: port)))
            }
        }
        for service in services {
            let name = service.hostname.split(separator: ".").first.map(String.init) ?? service.hostname
            let names = [service.hostname, name, "\(name).\(service.namespace)", "\(name).\(service.namespace).svc"]
            routes.append(SNIRoute(sniHosts: names, destinations: [WeightedCluster(cluster: "outbound|\(port)||\(service.hostname)", weight: 100)]))
        }
        return routes
    }

    /// The services of the egress listener's hosts that have the port, by host name.
    private static func egressServices(port: Int, hosts: [String], view: ProxyView) -> [MeshService] {
        let egressHosts = hosts.compactMap { SidecarScope.parse($0, proxyNamespace: view.proxy.namespace) }
        func picked(_ hostname: String, namespace: String) -> Bool {
            egressHosts.contains { ($0.namespace == nil || $0.namespace == namespace) && $0.dnsName.matches(HostName(hostname)) }
        }
        return view.services.filter { picked($0.hostname, namespace: $0.namespace) && $0.port(port) != nil }.sorted { $0.hostname < $1.hostname }
    }

    /// The VirtualServices whose hosts name one of `services`.
    private static func virtualServices(of services: [MeshService], view: ProxyView) -> [VirtualService] {
        let serviceHosts = Set(services.map(\.hostname))
        return view.virtualServices.filter { virtualService in
            let vsHosts = (virtualService.spec.hosts ?? []).map { HostNames.resolve($0, in: virtualService.namespace) }
            return vsHosts.contains { host in serviceHosts.contains { HostName(host).matches(HostName($0)) } }
        }
    }

    /// A route's destinations as clusters and weights (one destination without a weight takes all).
    static func weighted(_ destinations: [RouteDestination], namespace: String, port: Int) -> [WeightedCluster] {
        destinations.compactMap { destination -> WeightedCluster? in
            guard let host = destination.destination?.host else { return nil }
            let fqdn = HostNames.resolve(host, in: namespace)
            let target = destination.destination?.port?.number ?? port
            let weight = destination.weight ?? (destinations.count == 1 ? 100 : 0)
            return WeightedCluster(cluster: "outbound|\(target)|\(destination.destination?.subset ?? "")|\(fqdn)", weight: weight)
        }.filter { $0.weight > 0 }
    }

    /// A `tcp` route's match list as a sidecar's connection meets it: no list matches everything,
    /// else any one entry whose every given field holds (`destinationSubnets` is not known in host mode).
    static func matches(_ match: [L4MatchAttributes]?, port: Int, view: ProxyView) -> Bool {
        guard let match, !match.isEmpty else { return true }
        return match.contains {
            holds(port: $0.port, sourceLabels: $0.sourceLabels, sourceNamespace: $0.sourceNamespace, gateways: $0.gateways, listenerPort: port, view: view)
        }
    }

    /// The fields an L4 (`tcp`) or TLS match entry shares, as this proxy's listener meets them.
    static func holds(port: Int?, sourceLabels: [String: String]?, sourceNamespace: String?, gateways: [String]?, listenerPort: Int, view: ProxyView) -> Bool {
        (port == nil || port == listenerPort)
            && (sourceLabels ?? [:]).allSatisfy { view.proxy.labels[$0.key] == $0.value }
            && (sourceNamespace == nil || sourceNamespace == view.proxy.namespace)
            && ((gateways ?? []).isEmpty || (gateways ?? []).contains("mesh"))
    }
}
