import Testing
import WeftModel
import WeftProxy

private func endpoint(_ address: String, priority: Int = 0, locality: String = "", localityWeight: Int? = nil) -> EndpointGroup.Endpoint {
    EndpointGroup.Endpoint(address: address, port: 9080, labels: [:], locality: locality, weight: 1, workload: address, priority: priority, localityWeight: localityWeight)
}

private func cluster(_ configure: (inout ClusterConfig) -> Void = { _ in }) -> ClusterConfig {
    var cluster = ClusterConfig(serviceHost: "reviews.default.svc.cluster.local", port: 9080, subset: nil)
    configure(&cluster)
    return cluster
}

/// The proxy's balancing state: each policy's pick over real endpoint lists.
@Suite("load balancer state")
struct LoadBalancerStateTests {
    let endpoints = ["a", "b", "c"].map { endpoint($0) }

    func picks(_ state: LoadBalancerState, _ config: ClusterConfig, _ endpoints: [EndpointGroup.Endpoint], count: Int, key: String? = nil) -> [String: Int] {
        var counts: [String: Int] = [:]
        for _ in 0..<count {
            counts[state.pick(.init(cluster: ClusterView(config), clusterName: config.name, hashKey: key), endpoints: endpoints)?.address ?? "none", default: 0] += 1
        }
        return counts
    }

    @Test("ROUND_ROBIN cycles through the endpoints; RANDOM spreads over them")
    func simple() {
        let state = LoadBalancerState()
        let order = (0..<6).compactMap { _ in state.pick(.init(cluster: ClusterView(cluster()), clusterName: "c"), endpoints: endpoints)?.address }
        #expect(order == ["a", "b", "c", "a", "b", "c"])
        let random = picks(LoadBalancerState(), cluster { $0.loadBalancer = .random }, endpoints, count: 3000)
        #expect(random.count == 3 && random.values.allSatisfy { (800...1200).contains($0) }, "\(random)")
    }

    @Test("LEAST_REQUEST (power of two choices) keeps away from the endpoint with requests in flight")
    func leastRequest() {
        let state = LoadBalancerState()
        for _ in 0..<10 { state.started("a", 9080) }
        let counts = picks(state, cluster { $0.loadBalancer = .leastRequest }, endpoints, count: 600)
        #expect(counts["a", default: 0] == 0, "a is always the busier of any pair it is in: \(counts)")
        #expect(counts["b", default: 0] > 200 && counts["c", default: 0] > 200, "\(counts)")
    }

    @Test("outlier detection: an ejected endpoint gets nothing until its time is up; priorities fail over when the near level is ejected")
    func ejection() {
        let state = LoadBalancerState()
        let policy = OutlierPolicy(consecutive5xxErrors: 1, baseEjectionMs: 60_000, maxEjectionPercent: 100)
        let config = cluster { $0.outlierDetection = policy }
        #expect(state.record(.status(503), cluster: config.name, endpoint: "a:9080", policy: policy, endpointCount: 3))
        #expect(picks(state, config, endpoints, count: 300)["a"] == nil)
        #expect(state.ejections()[config.name]?["a:9080"]?.ejections == 1)

        let levels = [endpoint("near"), endpoint("far", priority: 1)]
        #expect(picks(state, config, levels, count: 100) == ["near": 100])
        state.record(.localFailure, cluster: config.name, endpoint: "near:9080", policy: policy, endpointCount: 2)
        #expect(picks(state, config, levels, count: 100) == ["far": 100])
    }

    @Test("consistent hash: a key sticks to one endpoint; no key picks at random")
    func consistentHash() {
        let state = LoadBalancerState()
        let config = cluster { $0.hashPolicy = HashPolicy(key: .header("x-user"), table: .ring(minimumSize: 1024)) }
        for user in ["ann", "bob", "cy", "dee"] { #expect(picks(state, config, endpoints, count: 50, key: user).count == 1) }
        #expect(picks(state, config, endpoints, count: 300).count == 3)
    }

    @Test("locality distribute: localities get traffic by their weights")
    func distribute() {
        let weighted = [endpoint("east-1", locality: "us-east/a", localityWeight: 80), endpoint("east-2", locality: "us-east/a", localityWeight: 80),
                        endpoint("west", locality: "us-west/b", localityWeight: 20)]
        let counts = picks(LoadBalancerState(), cluster(), weighted, count: 2000)
        #expect((300...500).contains(counts["west", default: 0]), "20 % of 2000: \(counts)")
        #expect(abs(counts["east-1", default: 0] - counts["east-2", default: 0]) < 120, "round robin within the locality: \(counts)")
    }
}

/// Requests in flight are counted only for LEAST_REQUEST, the one balancer that reads them.
struct InFlightCountingTests {
    @Test("PickEndpoint marks a LEAST_REQUEST cluster's upstream as counted, and no other")
    func countedOnlyForLeastRequest() {
        for (balancer, counted) in [(ClusterConfig.LoadBalancer.leastRequest, true), (.roundRobin, false), (.random, false)] {
            var cluster = ClusterConfig(serviceHost: "reviews.default.svc.cluster.local", port: 9080, subset: nil)
            cluster.loadBalancer = balancer
            let endpoints = [EndpointGroup(cluster: cluster.name, endpoints: [.init(address: "127.1.0.2", port: 9080, labels: [:], locality: "", weight: 1, workload: "a")])]
            let configuration = ActiveConfiguration(ProxyConfiguration(version: "1", routeTables: [], clusters: [cluster], endpoints: endpoints))
            var context = RequestContext(attributes: RequestAttributes(authority: "reviews:9080", path: "/"), configuration: configuration, routeTable: nil)
            context.cluster = cluster.name
            _ = PickEndpoint(balancer: LoadBalancerState()).decide(&context) { _ in .respond(LocalResponse(status: 200, flag: "")) }
            #expect(context.upstream?.countsInFlight == counted, "\(balancer)")
        }
    }
}
