import Testing
import WeftModel
import WeftProxy

/// A connection's previous lookups (virtual host, cluster) carried into its next request: reused
/// only for the same host, port, route table and configuration, never in place of a new answer.
@Suite("lookup hints")
struct LookupHintsTests {
    static func configuration(reviewsAddress: String) -> ActiveConfiguration {
        let services = ["reviews": reviewsAddress, "ratings": "127.1.0.3"]
        var clusters: [ClusterConfig] = []
        var endpoints: [EndpointGroup] = []
        var hosts: [VirtualHostConfig] = []
        for (name, address) in services.sorted(by: { $0.key < $1.key }) {
            let cluster = ClusterConfig(serviceHost: "\(name).default.svc.cluster.local", port: 9080, subset: nil)
            clusters.append(cluster)
            endpoints.append(EndpointGroup(cluster: cluster.name, endpoints: [.init(address: address, port: 9080, labels: [:], locality: "", weight: 1, workload: name)]))
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

    @Test("hints from another configuration are not used: the new configuration's endpoints are")
    func newConfiguration() {
        let hints = LookupHints()
        let first = Self.route("reviews:9080", Self.configuration(reviewsAddress: "127.1.0.2"), hints: hints)
        #expect(first.hasSuffix(" 127.1.0.2"))
        let second = Self.route("reviews:9080", Self.configuration(reviewsAddress: "127.1.0.9"), hints: hints)
        #expect(second.hasSuffix(" 127.1.0.9"))
    }
}
