import WeftAPI
import WeftModel

/// Translates a VirtualService's http routes into route entries for one proxy. Conditions that
/// depend on the caller (sourceLabels, sourceNamespace, gateways) are decided here, as Istio does.
struct HTTPRouteTranslator {
    let view: ProxyView
    /// "mesh" for sidecars, or the `namespace/name` of the Gateways a router serves on this port.
    let gatewayNames: Set<String>
    /// The port of the virtual host the routes land in (sidecar), for destinations without a port.
    let virtualHostPort: Int?
    /// Gateways: the Gateway server ports of the listener. A match's `port` names a server port
    /// (80, though the router listens on the Service's target port): one of these holds, another
    /// excludes the match.
    var serverPorts: Set<Int>? = nil

    func translate(_ vs: VirtualService) -> [RouteEntry] {
        var entries: [RouteEntry] = []
        for (index, route) in (vs.spec.http ?? []).enumerated() {
            if let entry = translate(route, index: index, vs: vs) { entries.append(entry) }
        }
        return entries
    }

    private func translate(_ route: HTTPRoute, index: Int, vs: VirtualService) -> RouteEntry? {
        var matches: [RequestMatch] = []
        let written = route.match ?? []
        for match in written where applies(match, vs: vs) { matches.append(requestMatch(match)) }
        // Every match excluded this caller: the route does not exist for it.
        if !written.isEmpty && matches.isEmpty { return nil }
        guard let action = action(route, vs: vs) else { return nil }
        return RouteEntry(name: route.name ?? "\(vs.namespace)/\(vs.name)#\(index)", matches: matches, action: action, policy: policy(route, vs: vs))
    }

    private func applies(_ match: HTTPMatchRequest, vs: VirtualService) -> Bool {
        if let labels = match.sourceLabels, !labels.allSatisfy({ view.proxy.labels[$0.key] == $0.value }) { return false }
        if let namespace = match.sourceNamespace, namespace != view.proxy.namespace { return false }
        if let serverPorts, let port = match.port, !serverPorts.contains(port) { return false }
        if let gateways = match.gateways, !gateways.isEmpty {
            let names = Set(gateways.map { Self.gatewayKey($0, vsNamespace: vs.namespace) })
            if names.isDisjoint(with: gatewayNames) { return false }
        }
        return true
    }

    static func gatewayKey(_ reference: String, vsNamespace: String) -> String {
        if reference == "mesh" { return "mesh" }
        if reference.contains("/") { return reference }
        return "\(vsNamespace)/\(reference)"
    }

    private func requestMatch(_ match: HTTPMatchRequest) -> RequestMatch {
        var result = RequestMatch(name: match.name)
        let ignoreCase = match.ignoreUriCase ?? false
        result.uri = match.uri.map { Self.matcher($0, ignoreCase: ignoreCase) }
        result.scheme = match.scheme.map { Self.matcher($0) }
        result.method = match.method.map { Self.matcher($0) }
        result.authority = match.authority.map { Self.matcher($0) }
        result.port = serverPorts == nil ? match.port : nil
        for (name, value) in (match.headers ?? [:]).sorted(by: { $0.key < $1.key }) {
            result.headers.append(NamedMatcher(name: Self.headerName(name), matcher: Self.matcher(value)))
        }
        for (name, value) in (match.withoutHeaders ?? [:]).sorted(by: { $0.key < $1.key }) {
            result.headers.append(NamedMatcher(name: Self.headerName(name), matcher: Self.matcher(value), invert: true))
        }
        for (name, value) in (match.queryParams ?? [:]).sorted(by: { $0.key < $1.key }) {
            result.queryParams.append(NamedMatcher(name: name, matcher: Self.matcher(value)))
        }
        return result
    }

    static func matcher(_ match: StringMatch, ignoreCase: Bool = false) -> StringMatcher {
        if let exact = match.exact { return StringMatcher(.exact, exact, ignoreCase: ignoreCase) }
        if let prefix = match.prefix { return StringMatcher(.prefix, prefix, ignoreCase: ignoreCase) }
        if let regex = match.regex { return StringMatcher(.regex, regex, ignoreCase: ignoreCase) }
        return StringMatcher(.present)
    }

    private func action(_ route: HTTPRoute, vs: VirtualService) -> RouteAction? {
        if let redirect = route.redirect {
            return .redirect(RedirectAction(uri: redirect.uri, authority: redirect.authority, scheme: redirect.scheme, port: redirect.port,
                                            derivePortFromRequest: redirect.derivePort == .FROM_REQUEST_PORT, code: redirect.redirectCode ?? 301))
        }
        if let direct = route.directResponse {
            return .directResponse(status: direct.status ?? 200, body: direct.body?.string ?? direct.body?.bytes.flatMap { Base64.decode($0) }.map { String(decoding: $0, as: UTF8.self) })
        }
        let destinations = route.route ?? []
        guard !destinations.isEmpty else { return nil }
        let clusters = destinations.map { destination -> WeightedCluster in
            WeightedCluster(cluster: cluster(for: destination.destination, vs: vs), weight: destinations.count == 1 ? 100 : (destination.weight ?? 0), headers: edits(destination.headers).map { own in edits(route.headers)?.then(own) ?? own })
        }
        return .forward(clusters)
    }

    /// Istio's cluster name for a destination: host resolved in the VirtualService's namespace,
    /// the port given, else the service's only port, else the port the request came in on.
    func cluster(for destination: Destination?, vs: VirtualService) -> String {
        let host = HostNames.resolve(destination?.host ?? "", in: vs.namespace)
        let service = view.service(host)
        let port = destination?.port?.number
            ?? (service?.ports.count == 1 ? service?.ports.first?.number : nil)
            ?? virtualHostPort
            ?? service?.ports.first?.number
            ?? 80
        return ClusterConfig.name(host: host, port: port, subset: destination?.subset)
    }

    private func policy(_ route: HTTPRoute, vs: VirtualService) -> RoutePolicy {
        var policy = RoutePolicy()
        policy.timeoutMs = route.timeout.map { Int($0.nanoseconds / 1_000_000) }
        if let retries = route.retries {
            let retryOn = (retries.retryOn ?? "").split(separator: ",").map { String($0.filter { !$0.isWhitespace }) }.filter { !$0.isEmpty }
            policy.retry = RoutePolicy.Retry(attempts: retries.attempts ?? RoutePolicy.Retry.istioDefault.attempts,
                                             perTryTimeoutMs: retries.perTryTimeout.map { Int($0.nanoseconds / 1_000_000) },
                                             retryOn: retryOn.isEmpty ? RoutePolicy.Retry.istioDefault.retryOn : retryOn)
        } else {
            policy.retry = .istioDefault
        }
        if let fault = route.fault {
            policy.fault = RoutePolicy.Fault(
                delayMs: fault.delay?.fixedDelay.map { Int($0.nanoseconds / 1_000_000) },
                delayPercent: fault.delay.map { $0.percentage?.value ?? $0.percent.map(Double.init) ?? 100 } ?? 0,
                abortStatus: fault.abort?.httpStatus, abortGrpcStatus: fault.abort?.grpcStatus,
                abortPercent: fault.abort.map { $0.percentage?.value ?? 100 } ?? 0)
        }
        if let mirror = route.mirror {
            policy.mirrors.append(RoutePolicy.Mirror(cluster: cluster(for: mirror, vs: vs), percent: route.mirrorPercentage?.value ?? route.mirrorPercent.map(Double.init) ?? 100))
        }
        for mirror in route.mirrors ?? [] {
            policy.mirrors.append(RoutePolicy.Mirror(cluster: cluster(for: mirror.destination, vs: vs), percent: mirror.percentage?.value ?? 100))
        }
        if let rewrite = route.rewrite {
            policy.rewrite = RoutePolicy.Rewrite(uriPrefix: rewrite.uri, regexMatch: rewrite.uriRegexRewrite?.match,
                                                 regexReplacement: rewrite.uriRegexRewrite?.rewrite, authority: rewrite.authority)
        }
        policy.headers = edits(route.headers)
        if let cors = route.corsPolicy {
            let origins = (cors.allowOrigins ?? []).map { Self.matcher($0) } + (cors.allowOrigin ?? []).map { StringMatcher(.exact, $0) }
            policy.cors = RoutePolicy.CORS(allowOrigins: origins, allowMethods: cors.allowMethods ?? [], allowHeaders: cors.allowHeaders ?? [],
                                           exposeHeaders: cors.exposeHeaders ?? [], maxAgeSeconds: cors.maxAge.map { Int($0.nanoseconds / 1_000_000_000) },
                                           allowCredentials: cors.allowCredentials ?? false, forwardUnmatchedPreflights: cors.unmatchedPreflights != .IGNORE)
        }
        return policy
    }

    private func edits(_ headers: Headers?) -> HeaderEdits? {
        guard let headers else { return nil }
        var edits = HeaderEdits()
        edits.requestSet = headers.request?.set ?? [:]
        edits.requestAdd = headers.request?.add ?? [:]
        edits.requestRemove = headers.request?.remove ?? []
        edits.responseSet = headers.response?.set ?? [:]
        edits.responseAdd = headers.response?.add ?? [:]
        edits.responseRemove = headers.response?.remove ?? []
        return edits
    }

    /// Header names match case-insensitively; a claim's path (`@request.auth.claims.Name`) keeps its case.
    static func headerName(_ name: String) -> String {
        JWTClaimRoute.isClaimHeader(name) ? name : name.lowercased()
    }
}
