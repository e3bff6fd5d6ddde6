import WeftModel

/// Picks the route (VirtualService semantics) and the weighted cluster; answers 404 NR when no
/// route matches, forwards unknown hosts as addressed (ALLOW_ANY) or refuses them (502).
public struct SelectRoute: RequestStep {
    public init() {}

    public func decide(_ context: inout RequestContext) -> RequestDecision? {
        guard let index = context.routeIndex ?? context.routeTable.flatMap({ context.configuration.virtualHosts[$0] }) else {
            return .respond(LocalResponse(status: 404, flag: "NR"))
        }
        let table = index.table
        let position: Int?
        if let hints = context.hints {
            position = hints.virtualHostPosition(in: index, for: context.attributes)
        } else {
            position = index.position(for: context.attributes)
        }
        switch RouteSelector.select(table, context.attributes, host: position.map(index.host(at:))) {
        case .noVirtualHost(.passthrough):
            // A Sidecar's egressProxy takes what is not in the registry, through the usual steps.
            if let cluster = table.egressProxyCluster {
                context.cluster = cluster
                return nil
            }
            // Captured: to the address the app connected to; else the host as the request names it.
            let destination = context.originalDestination
            return .forward(.init(host: destination?.address ?? context.attributes.host, port: destination?.port ?? context.attributes.port,
                                  cluster: "PassthroughCluster", connectTimeoutMs: 10_000, headers: nil))
        case .noVirtualHost(.blackhole):
            context.cluster = "BlackHoleCluster"
            return .respond(LocalResponse(status: 502, flag: "NR"))
        case .noVirtualHost(.notFound), .noRoute:
            return .respond(LocalResponse(status: 404, flag: "NR"))
        case .redirectToTLS(let host):
            context.virtualHost = host
            return .respond(Self.redirectToTLS(context.attributes))
        case .route(let host, let route):
            context.virtualHost = host
            context.route = route
            switch route.action {
            case .directResponse(let status, let body):
                return .respond(LocalResponse(status: status, flag: LocalResponse.directResponse, body: body ?? ""))
            case .redirect(let redirect):
                return .respond(Self.redirect(redirect, context.attributes))
            case .forward(let clusters):
                let pick = context.weightRoll.map { WeightedPick.pick(clusters, roll: $0) } ?? WeightedPick.random(clusters)
                guard let chosen = pick else { return .respond(LocalResponse(status: 503, flag: "NC")) }
                context.cluster = chosen.cluster
                context.destinationHeaders = chosen.headers
                return nil
            }
        }
    }

    /// Envoy's `require_tls` answer: the same host (and port, as the client wrote it) and path, over https.
    static func redirectToTLS(_ request: RequestAttributes) -> LocalResponse {
        let query = request.query.isEmpty ? "" : "?" + request.query
        return LocalResponse(status: 301, flag: "", headers: [("location", "https://\(request.header("host") ?? request.authority)\(request.path)\(query)")])
    }

    static func redirect(_ redirect: RedirectAction, _ request: RequestAttributes) -> LocalResponse {
        let scheme = redirect.scheme ?? request.scheme
        let host = redirect.authority ?? request.host
        let port = redirect.port ?? (redirect.derivePortFromRequest ? request.port : nil)
        let authority = port.map { (scheme == "http" && $0 == 80) || (scheme == "https" && $0 == 443) ? host : "\(host):\($0)" } ?? host
        // Envoy's path_redirect swaps the path and keeps the query, unless the new uri brings its own.
        let query = request.query.isEmpty ? "" : "?" + request.query
        let path = redirect.uri.map { $0.contains("?") ? $0 : $0 + query } ?? request.path + query
        return LocalResponse(status: redirect.code, flag: "", headers: [("location", "\(scheme)://\(authority)\(path)")])
    }
}
