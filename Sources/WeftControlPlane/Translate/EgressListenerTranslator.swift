import WeftAPI
import WeftModel

/// A Sidecar resource's egress listeners that name a port: in host mode nothing captures an app's
/// connections, so each such port is a listener on the pod IP (Istio's `captureMode: NONE` form)
/// that the app connects to for the services of the listener's hosts. A TCP port's connections go
/// to the clusters of the first VirtualService `tcp` route that matches (port, sourceLabels,
/// sourceNamespace, the `mesh` gateway), else to the one service of the hosts on that port; an
/// HTTP port is routed as the outbound proxy routes.
enum EgressListenerTranslator {
    static func translate(_ view: ProxyView, outboundPort: Int) -> [ListenerConfig] {
        guard view.proxy.mode == .sidecar else { return [] }
        var taken = Set(view.proxy.ports.values)
        taken.insert(outboundPort)
        var listeners: [ListenerConfig] = []
        for egress in view.egressListeners {
            // A port the pod already listens on (inbound, 15001) cannot be bound twice on its IP.
            guard let number = egress.port?.number, (1...65535).contains(number), !taken.contains(number) else { continue }
            taken.insert(number)
            let declared = egress.port?.protocol ?? egress.port?.name.map { String($0.split(separator: "-").first ?? "") }
            let http = declared.map { Protocols.isHTTP($0) } ?? false
            var listener = ListenerConfig(name: "egress|\(number)", port: number, direction: .egress, protocolName: http ? "HTTP" : "TCP",
                                          routeTable: http ? "outbound" : nil, hosts: egress.hosts ?? [])
            if !http { listener.tcpDestinations = tcpDestinations(port: number, hosts: egress.hosts ?? [], view: view) }
            listener.accessLogs = view.clientTelemetry.accessLogs
            listener.tracing = view.clientTelemetry.tracing
            listener.metrics = view.clientTelemetry.metrics
            listeners.append(listener)
        }
        return listeners
    }

    /// Where a connection to the egress port `port` goes.
    static func tcpDestinations(port: Int, hosts: [String], view: ProxyView) -> [WeightedCluster] {
        let egressHosts = hosts.compactMap { SidecarScope.parse($0, proxyNamespace: view.proxy.namespace) }
        func picked(_ hostname: String, namespace: String) -> Bool {
            egressHosts.contains { ($0.namespace == nil || $0.namespace == namespace) && $0.dnsName.matches(HostName(hostname)) }
        }
        let services = view.services.filter { picked($0.hostname, namespace: $0.namespace) && $0.port(port) != nil }.sorted { $0.hostname < $1.hostname }
        let serviceHosts = Set(services.map(\.hostname))
        for virtualService in view.virtualServices {
            let vsHosts = (virtualService.spec.hosts ?? []).map { HostNames.resolve($0, in: virtualService.namespace) }
            guard vsHosts.contains(where: { host in serviceHosts.contains { HostName(host).matches(HostName($0)) } }) else { continue }
            for route in virtualService.spec.tcp ?? [] where matches(route.match, port: port, view: view) {
                let destinations = route.route ?? []
                return destinations.compactMap { destination -> WeightedCluster? in
                    guard let host = destination.destination?.host else { return nil }
                    let fqdn = HostNames.resolve(host, in: virtualService.namespace)
                    let target = destination.destination?.port?.number ?? port
                    let weight = destination.weight ?? (destinations.count == 1 ? 100 : 0)
                    return WeightedCluster(cluster: "outbound|\(target)|\(destination.destination?.subset ?? "")|\(fqdn)", weight: weight)
                }.filter { $0.weight > 0 }
            }
        }
        return services.first.map { [WeightedCluster(cluster: "outbound|\(port)||\($0.hostname)", weight: 100)] } ?? []
    }

    /// A `tcp` route's match list as a sidecar's connection meets it: no list matches everything,
    /// else any one entry whose every given field holds (`destinationSubnets` is not known in host mode).
    static func matches(_ match: [L4MatchAttributes]?, port: Int, view: ProxyView) -> Bool {
        guard let match, !match.isEmpty else { return true }
        return match.contains { attributes in
            (attributes.port == nil || attributes.port == port)
                && (attributes.sourceLabels ?? [:]).allSatisfy { view.proxy.labels[$0.key] == $0.value }
                && (attributes.sourceNamespace == nil || attributes.sourceNamespace == view.proxy.namespace)
                && ((attributes.gateways ?? []).isEmpty || (attributes.gateways ?? []).contains("mesh"))
        }
    }
}
