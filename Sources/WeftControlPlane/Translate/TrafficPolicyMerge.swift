import WeftAPI

/// The traffic policy in force for one cluster, by Istio's precedence (MergeTrafficPolicy): a
/// subset's component replaces the rule's whole component, and a port-level setting replaces all
/// of them, a component it leaves out falling back to the default rather than inheriting.
struct EffectiveTrafficPolicy: Equatable {
    var loadBalancer: LoadBalancerSettings?
    var connectionPool: ConnectionPoolSettings?
    var outlierDetection: OutlierDetection?
    var tls: ClientTLSSettings?
    /// Not a port-level setting: a subset's replaces the rule's.
    var proxyProtocol: TrafficPolicy.ProxyProtocol?

    static func resolve(rule: TrafficPolicy?, subset: TrafficPolicy?, port: Int) -> EffectiveTrafficPolicy {
        var policy = EffectiveTrafficPolicy()
        if let rule { policy.overlay(rule, port: port) }
        if let subset { policy.overlay(subset, port: port) }
        return policy
    }

    private mutating func overlay(_ policy: TrafficPolicy, port: Int) {
        if let loadBalancer = policy.loadBalancer { self.loadBalancer = loadBalancer }
        if let connectionPool = policy.connectionPool { self.connectionPool = connectionPool }
        if let outlierDetection = policy.outlierDetection { self.outlierDetection = outlierDetection }
        if let tls = policy.tls { self.tls = tls }
        if let proxyProtocol = policy.proxyProtocol { self.proxyProtocol = proxyProtocol }
        if let level = policy.portLevelSettings?.first(where: { $0.port?.number == port }) {
            loadBalancer = level.loadBalancer
            connectionPool = level.connectionPool
            outlierDetection = level.outlierDetection
            tls = level.tls
        }
    }
}
