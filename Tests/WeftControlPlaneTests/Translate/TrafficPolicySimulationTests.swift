import Testing
import WeftAPI
import WeftControlPlane
import WeftModel
import WeftTesting

private let base = "outbound|9080||reviews.default.svc.cluster.local"
private let v1 = "outbound|9080|v1|reviews.default.svc.cluster.local"

private func rule(_ body: String) -> String {
    """
    apiVersion: networking.istio.io/v1
    kind: DestinationRule
    metadata: {name: reviews-policy, namespace: default}
    spec:
      host: reviews.default.svc.cluster.local
    \(body.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n"))
    """
}

/// Reviews in three localities; the Bookinfo fixture's DestinationRule is left out so this file's rules decide.
private func simulation(_ destinationRule: String, meshConfig: MeshConfig = MeshConfig()) throws -> Simulation {
    let services = BookinfoFixture.services.components(separatedBy: "---\napiVersion: networking.istio.io/v1\nkind: DestinationRule")[0]
    let workloads = [
        WorkloadInstance(name: "reviews-a", namespace: "default", labels: ["app": "reviews", "version": "v1", "topology.kubernetes.io/region": "us-east", "topology.kubernetes.io/zone": "us-east-1"],
                         address: "127.0.10.1", locality: "us-east/us-east-1", origin: .sidecar),
        WorkloadInstance(name: "reviews-b", namespace: "default", labels: ["app": "reviews", "version": "v1"], address: "127.0.10.2", locality: "us-east/us-east-2", origin: .sidecar),
        WorkloadInstance(name: "reviews-c", namespace: "default", labels: ["app": "reviews", "version": "v2"], address: "127.0.10.3", locality: "us-west/us-west-1", origin: .sidecar),
        WorkloadInstance(name: "reviews-d", namespace: "default", labels: ["app": "reviews", "version": "v2"], address: "127.0.10.4", locality: "eu-west/eu-west-1", origin: .sidecar),
    ]
    return try Simulation(yaml: services + "\n---\n" + destinationRule, workloads: workloads, meshConfig: meshConfig)
}

private let caller = ProxyIdentity(id: "productpage.default", namespace: "default",
                                   labels: ["app": "productpage", "topology.kubernetes.io/region": "us-east", "topology.kubernetes.io/zone": "us-east-1"])

@Suite("traffic policy simulation")
struct TrafficPolicySimulationTests {
    @Test("precedence: port-level settings replace every component (no inheritance); a subset's component replaces the rule's")
    func precedence() throws {
        let sim = try simulation(rule("""
        trafficPolicy:
          loadBalancer: {simple: LEAST_REQUEST}
          connectionPool: {tcp: {maxConnections: 10}}
          outlierDetection: {consecutive5xxErrors: 7}
          portLevelSettings:
          - port: {number: 9080}
            loadBalancer: {simple: RANDOM}
        subsets:
        - name: v1
          labels: {version: v1}
          trafficPolicy:
            connectionPool: {http: {http1MaxPendingRequests: 3}}
        - name: v2
          labels: {version: v2}
          trafficPolicy:
            portLevelSettings:
            - port: {number: 9080}
              connectionPool: {tcp: {maxConnections: 2}}
        """))
        let clusters = Dictionary(uniqueKeysWithValues: sim.clusters(for: caller).map { ($0.name, $0) })
        let service = try #require(clusters[base])
        #expect(service.loadBalancer == .random)
        #expect(service.connectionPool.maxConnections == nil && service.outlierDetection == nil, "port level does not inherit the top level's pool or outlier detection")
        let subsetV1 = try #require(clusters[v1])
        #expect(subsetV1.loadBalancer == .random && subsetV1.connectionPool.maxPendingRequests == 3 && subsetV1.connectionPool.maxConnections == nil)
        let subsetV2 = try #require(clusters["outbound|9080|v2|reviews.default.svc.cluster.local"])
        #expect(subsetV2.loadBalancer == .roundRobin && subsetV2.connectionPool.maxConnections == 2)
    }

    @Test("proxyProtocol: {} is version 1 (Istio's default); a subset's replaces the rule's; port-level settings, which have none, keep it")
    func proxyProtocol() throws {
        let sim = try simulation(rule("""
        trafficPolicy:
          proxyProtocol: {}
          portLevelSettings:
          - port: {number: 9080}
            connectionPool: {tcp: {maxConnections: 4}}
        subsets:
        - name: v1
          labels: {version: v1}
          trafficPolicy:
            proxyProtocol: {version: V2}
        - name: v2
          labels: {version: v2}
        """))
        let clusters = Dictionary(uniqueKeysWithValues: sim.clusters(for: caller).map { ($0.name, $0) })
        #expect(clusters[base]?.connectionPool.proxyProtocol == .v1)
        #expect(clusters[base]?.connectionPool.maxConnections == 4, "the port's pool replaces the rule's, the PROXY version with it untouched")
        #expect(clusters[v1]?.connectionPool.proxyProtocol == .v2)
        #expect(clusters["outbound|9080|v2|reviews.default.svc.cluster.local"]?.connectionPool.proxyProtocol == .v1)
        let none = try simulation(rule("trafficPolicy: {connectionPool: {tcp: {maxConnections: 1}}}")).clusters(for: caller).first { $0.name == base }
        #expect(none?.connectionPool.proxyProtocol == nil)
    }

    @Test("connection pool and outlier detection fields reach the cluster; 0 turns a detector off; Envoy's defaults fill the rest")
    func poolAndOutlier() throws {
        let sim = try simulation(rule("""
        trafficPolicy:
          connectionPool:
            tcp: {maxConnections: 5, connectTimeout: 250ms, tcpKeepalive: {probes: 3, time: 30s, interval: 5s}}
            http: {http2MaxRequests: 40, maxRetries: 4, idleTimeout: 2s, maxRequestsPerConnection: 9}
          outlierDetection: {consecutive5xxErrors: 0, consecutiveGatewayErrors: 2, interval: 1s, baseEjectionTime: 3s, maxEjectionPercent: 50}
        """))
        let cluster = try #require(sim.clusters(for: caller).first { $0.name == base })
        #expect(cluster.connectionPool.maxConnections == 5 && cluster.connectTimeoutMs == 250 && cluster.connectionPool.maxRequests == 40 && cluster.connectionPool.maxRetries == 4)
        #expect(cluster.connectionPool.idleTimeoutMs == 2000 && cluster.connectionPool.maxRequestsPerConnection == 9)
        #expect(cluster.connectionPool.tcpKeepalive == TCPKeepalive(probes: 3, timeSeconds: 30, intervalSeconds: 5))
        #expect(cluster.outlierDetection == OutlierPolicy(consecutive5xxErrors: 0, consecutiveGatewayErrors: 2, intervalMs: 1000, baseEjectionMs: 3000, maxEjectionPercent: 50))
        let defaults = try simulation(rule("trafficPolicy: {outlierDetection: {}}")).clusters(for: caller).first { $0.name == base }?.outlierDetection
        #expect(defaults == OutlierPolicy(), "5 consecutive 5xx, 10 s interval, 30 s ejection, 10 %")
    }

    @Test("consistent hash keys and tables", arguments: [
        ("{httpHeaderName: X-User}", HashPolicy(key: .header("x-user"), table: .ring(minimumSize: 1024))),
        ("{httpCookie: {name: user, ttl: 60s}, ringHash: {minimumRingSize: 64}}", HashPolicy(key: .cookie(name: "user", path: nil, ttlMs: 60_000), table: .ring(minimumSize: 64))),
        ("{useSourceIp: true, maglev: {tableSize: 251}}", HashPolicy(key: .sourceIP, table: .maglev(size: 251))),
        ("{httpQueryParameterName: user}", HashPolicy(key: .queryParameter("user"), table: .ring(minimumSize: 1024))),
    ])
    func consistentHash(_ yaml: String, _ expected: HashPolicy) throws {
        let sim = try simulation(rule("trafficPolicy: {loadBalancer: {consistentHash: \(yaml)}}"))
        #expect(sim.clusters(for: caller).first { $0.name == base }?.hashPolicy == expected)
    }

    @Test("locality failover: with outlier detection endpoints get priorities by distance from the caller; without it, none")
    func localityFailover() throws {
        let withOutlier = try simulation(rule("trafficPolicy: {outlierDetection: {consecutive5xxErrors: 1}}"))
        let priorities = withOutlier.endpoints(for: caller, cluster: base).map { "\($0.address)=\($0.priority)" }
        // Same zone 0, same region 1 (compacted from 2), other regions 2 (from 3).
        #expect(priorities == ["127.0.10.1=0", "127.0.10.2=1", "127.0.10.3=2", "127.0.10.4=2"])
        let without = try simulation(rule("trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}"))
        #expect(without.endpoints(for: caller, cluster: base).allSatisfy { $0.priority == 0 })
        let failover = try simulation(rule("""
        trafficPolicy:
          outlierDetection: {consecutive5xxErrors: 1}
          loadBalancer:
            localityLbSetting:
              failover: [{from: us-east, to: eu-west}]
        """))
        #expect(failover.endpoints(for: caller, cluster: base).map { "\($0.address)=\($0.priority)" } == ["127.0.10.1=0", "127.0.10.2=1", "127.0.10.3=3", "127.0.10.4=2"],
                "the failover region comes before regions the list does not name")
        let disabled = try simulation(rule("""
        trafficPolicy:
          outlierDetection: {consecutive5xxErrors: 1}
          loadBalancer: {localityLbSetting: {enabled: false}}
        """))
        #expect(disabled.endpoints(for: caller, cluster: base).allSatisfy { $0.priority == 0 })
    }

    @Test("locality distribute: the first rule covering the caller shares weights; localities it leaves out get no traffic")
    func localityDistribute() throws {
        let sim = try simulation(rule("""
        trafficPolicy:
          loadBalancer:
            localityLbSetting:
              distribute:
              - from: us-east/us-east-1/*
                to: {"us-east/*": 80, "us-west/us-west-1/*": 20}
        """))
        let endpoints = sim.endpoints(for: caller, cluster: base)
        #expect(endpoints.map { "\($0.address)=\($0.localityWeight ?? -1)" } == ["127.0.10.1=40", "127.0.10.2=40", "127.0.10.3=20"])
    }
}
