import WeftAPI
import WeftModel

/// Routes translator: a sidecar's outbound table (one virtual host per visible service port) and
/// a router's tables (one per Gateway port, VirtualServices bound to those Gateways).
public enum RouteTranslator {
    /// The sidecar's outbound route table.
    public static func outbound(_ view: ProxyView) -> RouteTable {
        var hosts: [VirtualHostConfig] = []
        let meshServices = view.virtualServices.filter { vs in
            let gateways = vs.spec.gateways ?? []
            return gateways.isEmpty || gateways.contains("mesh")
        }
        for service in view.services {
            let vs = meshServices.first { vs in (vs.spec.hosts ?? []).contains { HostNames.matches(HostNames.resolve($0, in: vs.namespace), service.hostname) } }
            for port in service.ports {
                let translator = HTTPRouteTranslator(view: view, gatewayNames: ["mesh"], virtualHostPort: port.number)
                let routes = vs.map(translator.translate) ?? [defaultRoute(service.hostname, port: port.number)]
                hosts.append(VirtualHostConfig(name: "\(service.hostname):\(port.number)", domains: HostNames.domains(of: service, from: view.proxy.namespace), port: port.number, routes: routes))
            }
        }
        let egressProxy = view.egressProxy.flatMap { destination -> String? in
            guard let host = destination.host, let port = destination.port?.number else { return nil }
            return ClusterConfig.name(host: HostNames.resolve(host, in: view.proxy.namespace), port: port, subset: destination.subset)
        }
        return RouteTable(name: "outbound", virtualHosts: hosts, fallback: view.allowAny ? .passthrough : .blackhole, egressProxyCluster: egressProxy)
    }

    /// The router's tables, keyed by listening port (`http.8080`).
    public static func gateway(_ view: ProxyView) -> [RouteTable] {
        var serversByPort: [Int: [(Gateway, Server)]] = [:]
        for gateway in view.gateways {
            for server in gateway.spec.servers ?? [] {
                guard let number = server.port?.number else { continue }
                let port = view.gatewayServicePorts[number] ?? number
                serversByPort[port, default: []].append((gateway, server))
            }
        }
        var tables: [RouteTable] = []
        for (port, servers) in serversByPort.sorted(by: { $0.key < $1.key }) {
            let gatewayNames = Set(servers.map { "\($0.0.namespace)/\($0.0.name)" })
            var hosts: [VirtualHostConfig] = []
            for vs in view.virtualServices {
                let bound = (vs.spec.gateways ?? []).map { HTTPRouteTranslator.gatewayKey($0, vsNamespace: vs.namespace) }
                guard !gatewayNames.isDisjoint(with: bound) else { continue }
                let serverHosts = servers.filter { bound.contains("\($0.0.namespace)/\($0.0.name)") }.flatMap { serverHostNames($0.1) }
                let domains = (vs.spec.hosts ?? []).filter { host in serverHosts.contains { HostName($0).matches(HostName(host)) } }
                guard !domains.isEmpty else { continue }
                let translator = HTTPRouteTranslator(view: view, gatewayNames: gatewayNames, virtualHostPort: nil,
                                                     serverPorts: Set(servers.compactMap { $0.1.port?.number }))
                hosts.append(VirtualHostConfig(name: "\(vs.namespace)/\(vs.name)", domains: domains, port: nil, routes: translator.translate(vs)))
            }
            // httpsRedirect: every host of such a server answers 301 to https, whether or not a
            // VirtualService routes it (Istio gives the server a virtual host of its own).
            let redirected = servers.filter { $0.1.tls?.httpsRedirect == true }.flatMap { serverHostNames($0.1) }
            if !redirected.isEmpty {
                for index in hosts.indices where hosts[index].domains.contains(where: { domain in redirected.contains { HostName($0).matches(HostName(domain)) } }) {
                    hosts[index].requireTLS = true
                }
                let uncovered = redirected.filter { host in !hosts.contains { $0.domains.contains(host) } }
                if !uncovered.isEmpty { hosts.append(VirtualHostConfig(name: "https-redirect", domains: uncovered, port: nil, routes: [], requireTLS: true)) }
            }
            tables.append(RouteTable(name: "http.\(port)", virtualHosts: hosts, fallback: .notFound))
        }
        return tables
    }

    /// Server hosts without their `namespace/` part (which scopes VirtualServices, not traffic).
    private static func serverHostNames(_ server: Server) -> [String] {
        (server.hosts ?? []).map { host in
            let parts = host.split(separator: "/", maxSplits: 1)
            return parts.count == 2 ? String(parts[1]) : host
        }
    }

    static func defaultRoute(_ host: String, port: Int) -> RouteEntry {
        var policy = RoutePolicy()
        policy.retry = .istioDefault
        return RouteEntry(name: "default", matches: [], action: .forward([WeightedCluster(cluster: ClusterConfig.name(host: host, port: port, subset: nil), weight: 100)]),
                          policy: policy)
    }
}
