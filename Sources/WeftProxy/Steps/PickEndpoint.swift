import WeftModel

/// Chooses the endpoint of the selected cluster (round robin, least request, random) and hands on
/// with the request's upstream set; 503 UH when the cluster has none.
public struct PickEndpoint: RequestStep {
    let balancer: LoadBalancerState

    public init(balancer: LoadBalancerState) { self.balancer = balancer }

    public func decide(_ context: inout RequestContext) -> RequestDecision? {
        guard let clusterName = context.cluster else { return nil }
        let found: ClusterTable.Found
        if let hints = context.hints {
            found = hints.cluster(named: clusterName, in: context.configuration)
        } else {
            found = context.configuration.clusters.lookup(clusterName)
        }
        let cluster = found.cluster
        var endpoints = found.endpoints
        // Original destination (a ServiceEntry with resolution NONE, a DestinationRule's PASSTHROUGH):
        // without endpoints of its own, the request goes where it was addressed.
        if endpoints.isEmpty, cluster?.config.loadBalancer == .passthrough {
            endpoints = [EndpointGroup.Endpoint(address: context.attributes.host, port: context.attributes.port, labels: [:], locality: "", weight: 1, workload: "")]
        }
        if cluster?.config.dnsLookup == .strict { endpoints = StrictDNSEndpoints.expand(endpoints, dns: .shared) }
        guard !endpoints.isEmpty else {
            if cluster == nil { return .respond(LocalResponse(status: 503, flag: "NC", body: "no healthy upstream")) }
            return .respond(LocalResponse(status: 503, flag: "UH", body: "no healthy upstream"))
        }
        var hashKey: String?
        var responseHeaders = context.responseHeaders
        if let hash = cluster?.config.hashPolicy {
            hashKey = hash.key.value(in: context.attributes, sourceAddress: context.remoteAddress)
            if hashKey == nil, case .cookie(let name, let path, let ttlMs?) = hash.key {
                // Envoy makes the cookie when the client has none and a ttl is set, and hashes on it.
                let (high, low) = FastRandom.pair()
                let value = String(high ^ low, radix: 16)
                hashKey = value
                responseHeaders.append(HeaderField(name: "set-cookie", value: "\(name)=\"\(value)\"; Max-Age=\(ttlMs / 1000); Path=\(path ?? "/"); HttpOnly"))
            }
        }
        let weighted = !context.configuration.weightedClusters.isEmpty && context.configuration.weightedClusters.contains(clusterName)
        // A plainly balanced cluster's endpoint is read where it lies in the list (no copy of it).
        if let position = balancer.plainPosition(cluster: cluster, clusterName: clusterName, weighted: weighted, endpoints: endpoints) {
            // An endpoint an earlier request on the connection went to, nothing of this request's own
            // in the decision (edits from a token's claims, a rewrite, response headers), endpoints
            // from the configuration (not DNS, not the request's address): that decision again, not
            // a new one made field by field (an allocation, ~20 stores and their retains).
            let reusable = context.hints != nil && responseHeaders.isEmpty && context.authenticationHeaders == nil && context.route?.policy.rewrite == nil
                && cluster?.config.dnsLookup != .strict && cluster?.config.loadBalancer != .passthrough
            let edits = reusable ? context.destinationHeaders ?? context.route?.policy.headers : nil
            if reusable, let hints = context.hints,
               let upstream = hints.upstream(configuration: context.configuration, cluster: clusterName, position: position, edits: edits, http2: context.downstreamHTTP2) {
                context.upstream = upstream
            } else {
                Self.forward(&context, to: endpoints[position], cluster: cluster, clusterName: clusterName, endpointCount: endpoints.count,
                             serverName: found.serverName, responseHeaders: responseHeaders)
                if reusable {
                    context.hints?.keep(context.upstream, configuration: context.configuration, cluster: clusterName, position: position,
                                        endpointCount: endpoints.count, edits: edits, http2: context.downstreamHTTP2)
                }
            }
        } else {
            guard let endpoint = balancer.pick(.init(cluster: cluster, clusterName: clusterName, hashKey: hashKey, weighted: weighted), endpoints: endpoints) else {
                return .respond(LocalResponse(status: 503, flag: "UH", body: "no healthy upstream"))
            }
            Self.forward(&context, to: endpoint, cluster: cluster, clusterName: clusterName, endpointCount: endpoints.count,
                         serverName: found.serverName, responseHeaders: responseHeaders)
        }
        return nil
    }

    /// The request's upstream, to `endpoint` of `cluster`.
    private static func forward(_ context: inout RequestContext, to endpoint: EndpointGroup.Endpoint, cluster: ClusterView?, clusterName: String, endpointCount: Int,
                                serverName: String?, responseHeaders: [HeaderField]) {
        // Built in the context and filled in place: a local copied in was a copy of every field.
        context.upstream = RequestDecision.Upstream(host: endpoint.address, port: endpoint.port, cluster: clusterName, connectTimeoutMs: cluster?.config.connectTimeoutMs ?? 10_000,
                                                    headers: Self.edits(authentication: context.authenticationHeaders, route: context.destinationHeaders ?? context.route?.policy.headers),
                                                    connectionPool: cluster?.config.connectionPool ?? .unlimited)
        if let policy = cluster?.config.outlierDetection {
            context.upstream?.outlierDetection = policy
            context.upstream?.endpointCount = endpointCount
        }
        if !responseHeaders.isEmpty { context.upstream?.responseHeaders = responseHeaders }
        context.upstream?.countsInFlight = cluster?.config.loadBalancer == .leastRequest
        context.upstream?.transport = UpstreamTransport.choose(cluster: cluster, endpoint: endpoint, serverName: serverName)
        context.upstream?.http2 = cluster.map { $0.config.useClientProtocol ? context.connection.downstreamHTTP2 : $0.config.http2 } ?? false
        context.upstream?.meshExternal = cluster?.config.meshExternal ?? true
        if let rewrite = context.route?.policy.rewrite {
            let matched = context.route?.matches.first { RouteSelector.matches($0, context.attributes) }?.uri
            context.upstream?.path = rewrite.path(context.attributes, matchedURI: matched)
            context.upstream?.authority = rewrite.authority
        }
    }

    /// RequestAuthentication's edits (the token removed, claims copied), then the route's.
    static func edits(authentication: HeaderEdits?, route: HeaderEdits?) -> HeaderEdits? {
        guard let authentication else { return route }
        return route.map { authentication.then($0) } ?? authentication
    }
}
