import Testing
import WeftModel
import WeftProxy

/// A connection's previous lookups (virtual host, cluster) carried into its next request: reused
/// only for the same host, port, route table and configuration, never in place of a new answer.
@Suite("lookup hints")
struct LookupHintsTests {
    static func configuration(reviewsAddress: String, reviewsEndpoints: Int = 1) -> ActiveConfiguration {
        let services = ["reviews": reviewsAddress, "ratings": "127.1.0.3"]
        var clusters: [ClusterConfig] = []
        var endpoints: [EndpointGroup] = []
        var hosts: [VirtualHostConfig] = []
        for (name, address) in services.sorted(by: { $0.key < $1.key }) {
            let cluster = ClusterConfig(serviceHost: "\(name).default.svc.cluster.local", port: 9080, subset: nil)
            clusters.append(cluster)
            let count = name == "reviews" ? reviewsEndpoints : 1
            endpoints.append(EndpointGroup(cluster: cluster.name, endpoints: (0..<count).map { index in
                .init(address: index == 0 ? address : "127.1.1.\(index)", port: 9080, labels: [:], locality: "", weight: 1, workload: name)
            }))
            hosts.append(VirtualHostConfig(name: "\(name):9080", domains: [name, "\(name).default.svc.cluster.local"], port: 9080,
                                           routes: [RouteEntry(name: "default", matches: [], action: .forward([WeightedCluster(cluster: cluster.name, weight: 100)]))]))
        }
        let table = RouteTable(name: "outbound", virtualHosts: hosts, fallback: .blackhole)
        return ActiveConfiguration(ProxyConfiguration(version: reviewsAddress, routeTables: [table], clusters: clusters, endpoints: endpoints))
    }

    /// Runs the outbound steps for `authority` with `hints` (the connection's, nil for none), returning
    /// where the request went (or its local answer's status).
    static func route(_ authority: String, _ configuration: ActiveConfiguration, hints: LookupHints?) -> String {
        var context = RequestContext(attributes: RequestAttributes(authority: authority, path: "/"), configuration: configuration,
                                     routeTable: "outbound", hints: hints)
        let decision = ListenerPipelines.routed(balancer: LoadBalancerState()).decide(&context)
        switch decision {
        case .forward(let upstream): return "\(upstream.cluster) \(upstream.host)"
        case .respond(let response): return "\(response.status)"
        }
    }

    @Test("each request is routed as without hints: another host, another port or an unknown host after a known one, the same host again")
    func sameAnswers() {
        let configuration = Self.configuration(reviewsAddress: "127.1.0.2")
        let hints = LookupHints()
        var routed: [String] = []
        for authority in ["reviews:9080", "reviews:9080", "ratings:9080", "reviews:9080", "reviews:9081", "unknown:9080", "reviews:9080"] {
            let answer = Self.route(authority, configuration, hints: hints)
            #expect(answer == Self.route(authority, configuration, hints: nil), "\(authority)")
            routed.append(answer)
        }
        let reviews = "outbound|9080||reviews.default.svc.cluster.local 127.1.0.2"
        let ratings = "outbound|9080||ratings.default.svc.cluster.local 127.1.0.3"
        #expect(routed == [reviews, reviews, ratings, reviews, "502", "502", reviews])
    }

    @Test("a connection's authorities split as without hints: the same one again, another, the same with another default port")
    func authorities() {
        let hints = LookupHints()
        for (authority, defaultPort) in [("Reviews:9080", 80), ("Reviews:9080", 80), ("ratings", 80), ("ratings", 443), ("[::1]:15001", 80), ("ratings", 443)] {
            let kept = hints.split(authority: authority, defaultPort: defaultPort)
            let made = RequestAttributes.split(authority: authority, defaultPort: defaultPort)
            #expect(kept.0 == made.0 && kept.1 == made.1, "\(authority) on \(defaultPort)")
        }
        #expect(hints.split(authority: "Reviews:9080", defaultPort: 80) == ("reviews", 9080))
    }

    @Test("hints from another configuration are not used: the new configuration's endpoints are")
    func newConfiguration() {
        let hints = LookupHints()
        let first = Self.route("reviews:9080", Self.configuration(reviewsAddress: "127.1.0.2"), hints: hints)
        #expect(first.hasSuffix(" 127.1.0.2"))
        let second = Self.route("reviews:9080", Self.configuration(reviewsAddress: "127.1.0.9"), hints: hints)
        #expect(second.hasSuffix(" 127.1.0.9"))
    }

    /// The endpoint step alone, on `cluster` of `configuration` with `hints`: the decision it made.
    static func pick(_ configuration: ActiveConfiguration, cluster: String, hints: LookupHints?, balancer: LoadBalancerState,
                     authentication: HeaderEdits? = nil) -> RequestDecision.Upstream? {
        var context = RequestContext(attributes: RequestAttributes(authority: "reviews:9080", path: "/"), configuration: configuration,
                                     routeTable: "outbound", hints: hints)
        context.cluster = cluster
        context.authenticationHeaders = authentication
        _ = PickEndpoint(balancer: balancer).decide(&context) { _ in .respond(LocalResponse(status: 200, flag: "")) }
        return context.upstream
    }

    @Test("a connection's decisions are kept per endpoint: round robin over three gives the same decisions as without hints, a request's own edits are never taken from an earlier one")
    func keptDecisions() throws {
        let configuration = Self.configuration(reviewsAddress: "127.1.0.2", reviewsEndpoints: 3)
        let cluster = ClusterConfig(serviceHost: "reviews.default.svc.cluster.local", port: 9080, subset: nil).name
        let hints = LookupHints()
        let hinted = LoadBalancerState(), plain = LoadBalancerState()
        var hosts: [String] = []
        for _ in 0..<7 {
            let kept = try #require(Self.pick(configuration, cluster: cluster, hints: hints, balancer: hinted))
            let made = try #require(Self.pick(configuration, cluster: cluster, hints: nil, balancer: plain))
            #expect(kept == made)
            hosts.append(kept.host)
        }
        #expect(Set(hosts).count == 3 && hosts[0] == hosts[3] && hosts[1] == hosts[4])
        // A token's claims as edits: each request's own, though the endpoint repeats.
        var claims = HeaderEdits()
        for user in ["alice", "bob", "alice"] {
            claims.requestSet = ["x-user": user]
            let picked = try #require(Self.pick(configuration, cluster: cluster, hints: hints, balancer: hinted, authentication: claims))
            #expect(picked.headers?.requestSet["x-user"] == user)
        }
        // Another configuration's cluster: its own settings, not the kept decision's.
        var slower = ClusterConfig(serviceHost: "reviews.default.svc.cluster.local", port: 9080, subset: nil)
        slower.connectTimeoutMs = 4321
        let next = ActiveConfiguration(ProxyConfiguration(version: "2", routeTables: [], clusters: [slower],
                                                          endpoints: [EndpointGroup(cluster: cluster, endpoints: [.init(address: "127.1.0.2", port: 9080, labels: [:], locality: "", weight: 1, workload: "r")])]))
        #expect(Self.pick(next, cluster: cluster, hints: hints, balancer: hinted)?.connectTimeoutMs == 4321)
    }
}
