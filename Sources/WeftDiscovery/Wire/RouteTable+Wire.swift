import WeftModel

extension Weft_Discovery_V1_RouteTable {
    public init(_ model: RouteTable) {
        self.init()
        name = model.name
        switch model.fallback {
        case .passthrough: fallback = .passthrough
        case .blackhole: fallback = .blackhole
        case .notFound: fallback = .notFound
        }
        if let cluster = model.egressProxyCluster { egressProxyCluster = cluster }
        virtualHosts = model.virtualHosts.map { host in
            var wire = Weft_Discovery_V1_VirtualHost()
            wire.name = host.name
            wire.domains = host.domains
            if let port = host.port { wire.port = Int32(model: port) }
            wire.routes = host.routes.map(Weft_Discovery_V1_Route.init)
            wire.requireTls = host.requireTLS
            return wire
        }
    }
}

extension RouteTable {
    public init(wire: Weft_Discovery_V1_RouteTable) throws(WireError) {
        let fallback: Fallback
        switch wire.fallback {
        case .passthrough: fallback = .passthrough
        case .blackhole: fallback = .blackhole
        case .notFound: fallback = .notFound
        case .UNRECOGNIZED(let value): throw WireError("route table \(wire.name): unknown fallback \(value)")
        }
        var hosts: [VirtualHostConfig] = []
        for host in wire.virtualHosts {
            var routes: [RouteEntry] = []
            for route in host.routes { routes.append(try RouteEntry(wire: route, table: wire.name)) }
            hosts.append(VirtualHostConfig(name: host.name, domains: host.domains, port: host.hasPort ? Int(wire: host.port) : nil, routes: routes, requireTLS: host.requireTls))
        }
        self.init(name: wire.name, virtualHosts: hosts, fallback: fallback, egressProxyCluster: wire.hasEgressProxyCluster ? wire.egressProxyCluster : nil)
    }
}

extension Weft_Discovery_V1_Route {
    init(_ model: RouteEntry) {
        self.init()
        name = model.name
        matches = model.matches.map(Weft_Discovery_V1_RequestMatch.init)
        switch model.action {
        case .forward(let clusters):
            var forward = Weft_Discovery_V1_ForwardAction()
            forward.clusters = clusters.map { cluster in
                var wire = Weft_Discovery_V1_WeightedCluster()
                wire.cluster = cluster.cluster
                wire.weight = Int32(model: cluster.weight)
                if let headers = cluster.headers { wire.headers = Weft_Discovery_V1_HeaderEdits(headers) }
                return wire
            }
            action = .forward(forward)
        case .redirect(let redirect):
            var wire = Weft_Discovery_V1_RedirectAction()
            if let value = redirect.uri { wire.uri = value }
            if let value = redirect.authority { wire.authority = value }
            if let value = redirect.scheme { wire.scheme = value }
            if let value = redirect.port { wire.port = Int32(model: value) }
            wire.derivePortFromRequest = redirect.derivePortFromRequest
            wire.code = Int32(model: redirect.code)
            action = .redirect(wire)
        case .directResponse(let status, let body):
            var wire = Weft_Discovery_V1_DirectResponseAction()
            wire.status = Int32(model: status)
            if let body { wire.body = body }
            action = .directResponse(wire)
        }
        policy = Weft_Discovery_V1_RoutePolicy(model.policy)
    }
}

extension RouteEntry {
    init(wire: Weft_Discovery_V1_Route, table: String) throws(WireError) {
        let action: RouteAction
        switch wire.action {
        case .forward(let forward)?:
            action = .forward(forward.clusters.map { cluster in
                WeightedCluster(cluster: cluster.cluster, weight: Int(wire: cluster.weight), headers: cluster.hasHeaders ? HeaderEdits(wire: cluster.headers) : nil)
            })
        case .redirect(let redirect)?:
            action = .redirect(RedirectAction(uri: redirect.hasUri ? redirect.uri : nil, authority: redirect.hasAuthority ? redirect.authority : nil,
                                              scheme: redirect.hasScheme ? redirect.scheme : nil, port: redirect.hasPort ? Int(wire: redirect.port) : nil,
                                              derivePortFromRequest: redirect.derivePortFromRequest, code: Int(wire: redirect.code)))
        case .directResponse(let response)?:
            action = .directResponse(status: Int(wire: response.status), body: response.hasBody ? response.body : nil)
        case nil:
            throw WireError("route table \(table): route \(wire.name) has no action this proxy knows")
        }
        var matches: [RequestMatch] = []
        for match in wire.matches { matches.append(try RequestMatch(wire: match)) }
        self.init(name: wire.name, matches: matches, action: action, policy: try RoutePolicy(wire: wire.policy))
    }
}
