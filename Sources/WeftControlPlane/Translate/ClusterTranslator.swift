import WeftAPI
import WeftModel

/// Clusters translator: one cluster per visible service port, plus one per DestinationRule subset.
public enum ClusterTranslator {
    public static func translate(_ view: ProxyView) -> [ClusterConfig] {
        var clusters: [ClusterConfig] = []
        for service in view.services {
            let rule = DestinationRuleLookup.rule(for: service, in: view)
            for port in service.ports {
                var base = ClusterConfig(serviceHost: service.hostname, port: port.number, subset: nil)
                apply(rule?.spec.trafficPolicy, port: port.number, to: &base)
                clusters.append(base)
                for subset in rule?.spec.subsets ?? [] {
                    guard let name = subset.name else { continue }
                    var cluster = ClusterConfig(serviceHost: service.hostname, port: port.number, subset: name, subsetLabels: subset.labels ?? [:])
                    apply(rule?.spec.trafficPolicy, port: port.number, to: &cluster)
                    apply(subset.trafficPolicy, port: port.number, to: &cluster)
                    clusters.append(cluster)
                }
            }
        }
        return clusters
    }

    /// Applies a traffic policy, its port-level settings winning over the top level.
    static func apply(_ policy: TrafficPolicy?, port: Int, to cluster: inout ClusterConfig) {
        guard let policy else { return }
        apply(loadBalancer: policy.loadBalancer, pool: policy.connectionPool, to: &cluster)
        if let level = policy.portLevelSettings?.first(where: { $0.port?.number == port }) {
            apply(loadBalancer: level.loadBalancer, pool: level.connectionPool, to: &cluster)
        }
    }

    private static func apply(loadBalancer: LoadBalancerSettings?, pool: ConnectionPoolSettings?, to cluster: inout ClusterConfig) {
        switch loadBalancer?.simple {
        case .LEAST_REQUEST?, .LEAST_CONN?: cluster.loadBalancer = .leastRequest
        case .RANDOM?: cluster.loadBalancer = .random
        case .PASSTHROUGH?: cluster.loadBalancer = .passthrough
        case .ROUND_ROBIN?: cluster.loadBalancer = .roundRobin
        case .UNSPECIFIED?, nil: break
        }
        if let hash = loadBalancer?.consistentHash {
            cluster.minimumRingSize = hash.ringHash?.minimumRingSize ?? hash.minimumRingSize ?? cluster.minimumRingSize
        }
        if let tcp = pool?.tcp {
            if let timeout = tcp.connectTimeout { cluster.connectTimeoutMs = Int(timeout.nanoseconds / 1_000_000) }
            if let max = tcp.maxConnections { cluster.maxConnections = max }
        }
        if let http = pool?.http {
            if let pending = http.http1MaxPendingRequests { cluster.maxPendingRequests = pending }
            if let perConnection = http.maxRequestsPerConnection { cluster.maxRequestsPerConnection = perConnection }
        }
    }
}

/// Endpoints translator: each cluster's endpoints, filtered by its subset's labels.
public enum EndpointTranslator {
    public static func translate(_ view: ProxyView, clusters: [ClusterConfig]) -> [EndpointGroup] {
        clusters.map { cluster in
            let endpoints = (view.endpoints["\(cluster.serviceHost)|\(cluster.port)"] ?? [])
                .filter { endpoint in cluster.subsetLabels.allSatisfy { endpoint.labels[$0.key] == $0.value } }
                .map { EndpointGroup.Endpoint(address: $0.address, port: $0.port, labels: $0.labels, locality: $0.locality, weight: $0.weight, workload: $0.workloadName) }
            return EndpointGroup(cluster: cluster.name, endpoints: endpoints)
        }
    }
}
