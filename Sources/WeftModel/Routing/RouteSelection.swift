/// The outcome of routing one request: a route, or Envoy's reason there is none.
public enum RouteSelection: Sendable, Hashable {
    case route(virtualHost: String, route: RouteEntry)
    /// No virtual host answers the host: the table's fallback decides (passthrough, 502, 404).
    case noVirtualHost(RouteTable.Fallback)
    /// A virtual host answers but none of its routes matches: 404 with flag NR.
    case noRoute(virtualHost: String)
    /// The virtual host takes only TLS (`httpsRedirect`) and the request came in plaintext: 301 to https.
    case redirectToTLS(virtualHost: String)
}

/// Istio's route choice, as Envoy makes it: the virtual host by domain (exact, then the longest
/// `*.suffix`, then `*`), then the first route whose any match holds.
public enum RouteSelector {
    /// `index`: the table's `VirtualHostIndex` (a proxy keeps one per configuration); nil reads every domain.
    public static func select(_ table: RouteTable, _ request: RequestAttributes, index: VirtualHostIndex? = nil) -> RouteSelection {
        select(table, request, host: index.map({ $0.virtualHost(for: request) }) ?? virtualHost(in: table, for: request))
    }

    /// The route of `host`, the virtual host already chosen for `request` (nil: none answers it).
    public static func select(_ table: RouteTable, _ request: RequestAttributes, host: VirtualHostConfig?) -> RouteSelection {
        guard let host else { return .noVirtualHost(table.fallback) }
        if host.requireTLS && request.scheme != "https" { return .redirectToTLS(virtualHost: host.name) }
        for route in host.routes where route.matches.isEmpty || route.matches.contains(where: { matches($0, request) }) {
            return .route(virtualHost: host.name, route: route)
        }
        return .noRoute(virtualHost: host.name)
    }

    public static func virtualHost(in table: RouteTable, for request: RequestAttributes) -> VirtualHostConfig? {
        var best: (VirtualHostConfig, Int)?
        for host in table.virtualHosts where host.port == nil || host.port == request.port {
            for domain in host.domains {
                let score: Int
                if domain == request.host { score = Int.max }
                else if domain == "*" { score = 0 }
                else if domain.hasPrefix("*"), request.host.hasSuffix(domain.dropFirst()) { score = domain.count }
                else { continue }
                if best == nil || score > best!.1 { best = (host, score) }
            }
        }
        return best?.0
    }

    public static func matches(_ match: RequestMatch, _ request: RequestAttributes) -> Bool {
        if let uri = match.uri, !uri.matches(request.path) { return false }
        if let scheme = match.scheme, !scheme.matches(request.scheme) { return false }
        if let method = match.method, !method.matches(request.method) { return false }
        if let authority = match.authority, !authority.matches(request.authority) { return false }
        if let port = match.port, port != request.port { return false }
        for header in match.headers {
            if header.name.hasPrefix("@request.auth.claims") {
                // Any element of a list claim may match; no verified token matches nothing.
                let values = request.auth?.claimValues(RequestAuthAttributes.claimPath(header.name.dropFirst("@request.auth.claims".count).drop { $0 == "." })) ?? []
                let matched = values.isEmpty ? header.matcher.matches(nil) : values.contains { header.matcher.matches($0) }
                if matched == header.invert { return false }
                continue
            }
            let value = header.name == ":authority" || header.name == "host" ? request.authority : request.header(header.name)
            if header.matcher.matches(value) == header.invert { return false }
        }
        for parameter in match.queryParams where !parameter.matcher.matches(request.queryParameter(parameter.name)) {
            return false
        }
        return true
    }
}

/// Picks one of weighted choices from a number in [0, total weight); callers supply the number
/// (random on the data path, fixed in tests).
public enum WeightedPick {
    public static func pick(_ clusters: [WeightedCluster], roll: Int) -> WeightedCluster? {
        let total = clusters.reduce(0) { $0 + max(0, $1.weight) }
        guard total > 0 else { return clusters.first }
        var remaining = roll % total
        for cluster in clusters where cluster.weight > 0 {
            if remaining < cluster.weight { return cluster }
            remaining -= cluster.weight
        }
        return clusters.last
    }

    public static func random(_ clusters: [WeightedCluster]) -> WeightedCluster? {
        // One destination (the common case) needs no roll, and a roll costs a getrandom syscall.
        if clusters.count == 1 { return clusters[0] }
        let total = clusters.reduce(0) { $0 + max(0, $1.weight) }
        return pick(clusters, roll: total > 0 ? Int.random(in: 0..<total) : 0)
    }
}
