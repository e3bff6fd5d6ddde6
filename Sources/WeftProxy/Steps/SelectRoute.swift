import WeftModel

/// Picks the route (VirtualService semantics) and the weighted cluster; answers 404 NR when no
/// route matches, forwards unknown hosts as addressed (ALLOW_ANY) or refuses them (502).
public struct SelectRoute: RequestStep {
    public init() {}

    public func decide(_ context: inout RequestContext, next: (inout RequestContext) -> RequestDecision) -> RequestDecision {
        guard let tableName = context.routeTable, let table = context.configuration.routeTables[tableName] else {
            return .respond(LocalResponse(status: 404, flag: "NR"))
        }
        switch RouteSelector.select(table, context.attributes) {
        case .noVirtualHost(.passthrough):
            return .forward(.init(host: context.attributes.host, port: context.attributes.port, cluster: "PassthroughCluster", connectTimeoutMs: 10_000, headers: nil))
        case .noVirtualHost(.blackhole):
            return .respond(LocalResponse(status: 502, flag: "NR"))
        case .noVirtualHost(.notFound), .noRoute:
            return .respond(LocalResponse(status: 404, flag: "NR"))
        case .route(_, let route):
            context.route = route
            switch route.action {
            case .directResponse(let status, let body):
                return .respond(LocalResponse(status: status, flag: "DR", body: body ?? ""))
            case .redirect(let redirect):
                return .respond(Self.redirect(redirect, context.attributes))
            case .forward(let clusters):
                guard let chosen = WeightedPick.random(clusters) else { return .respond(LocalResponse(status: 503, flag: "NC")) }
                context.cluster = chosen.cluster
                return next(&context)
            }
        }
    }

    static func redirect(_ redirect: RedirectAction, _ request: RequestAttributes) -> LocalResponse {
        let scheme = redirect.scheme ?? request.scheme
        let host = redirect.authority ?? request.host
        let port = redirect.port ?? (redirect.derivePortFromRequest ? request.port : nil)
        let authority = port.map { (scheme == "http" && $0 == 80) || (scheme == "https" && $0 == 443) ? host : "\(host):\($0)" } ?? host
        let path = redirect.uri ?? request.path + (request.query.isEmpty ? "" : "?" + request.query)
        return LocalResponse(status: redirect.code, flag: "", headers: [("location", "\(scheme)://\(authority)\(path)")])
    }
}

/// Chooses the endpoint of the selected cluster (round robin, least request, random); 503 UH
/// when the cluster has none.
public struct PickEndpoint: RequestStep {
    let balancer: LoadBalancerState

    public init(balancer: LoadBalancerState) { self.balancer = balancer }

    public func decide(_ context: inout RequestContext, next: (inout RequestContext) -> RequestDecision) -> RequestDecision {
        guard let clusterName = context.cluster else { return next(&context) }
        let cluster = context.configuration.clusters[clusterName]
        let endpoints = context.configuration.endpoints[clusterName] ?? []
        guard !endpoints.isEmpty else {
            if cluster == nil { return .respond(LocalResponse(status: 503, flag: "NC", body: "no healthy upstream")) }
            return .respond(LocalResponse(status: 503, flag: "UH", body: "no healthy upstream"))
        }
        let endpoint = balancer.pick(cluster: clusterName, policy: cluster?.loadBalancer ?? .roundRobin, endpoints: endpoints)
        return .forward(.init(host: endpoint.address, port: endpoint.port, cluster: clusterName, connectTimeoutMs: cluster?.connectTimeoutMs ?? 10_000,
                              headers: context.route?.policy.headers, timeoutMs: Self.timeout(context),
                              limits: ConnectionLimits(cluster)))
    }

    /// The route's timeout, or the caller's `x-envoy-upstream-rq-timeout-ms` in its place, as Envoy honours it.
    static func timeout(_ context: RequestContext) -> Int? {
        if let header = context.attributes.headers.first(where: { $0.name == "x-envoy-upstream-rq-timeout-ms" }), let value = Int(header.value), value >= 0 {
            return value
        }
        return context.route?.policy.timeoutMs
    }
}
