import WeftModel

/// Envoy's circuit breakers for every cluster of one proxy: connections open, requests waiting for
/// a connection, requests and retries in flight, each held against the cluster's connectionPool
/// limit. A plain value: the pool tells it what opened and closed, and it answers whether a limit
/// allows one more. Unlimited (nil) limits still count, so `proxy-config` and tests can read them.
struct CircuitBreaker: Sendable {
    /// What is counted per cluster.
    enum Resource: Sendable, CaseIterable {
        case connections, pending, requests, retries

        /// The limit of this resource in a cluster's connection pool; nil is unlimited.
        func limit(in policy: ConnectionPoolPolicy) -> Int? {
            switch self {
            case .connections: return policy.maxConnections
            case .pending: return policy.maxPendingRequests
            case .requests: return policy.maxRequests
            case .retries: return policy.maxRetries
            }
        }
    }

    private struct Counts: Sendable {
        var connections = 0, pending = 0, requests = 0, retries = 0

        subscript(resource: Resource) -> Int {
            get {
                switch resource {
                case .connections: return connections
                case .pending: return pending
                case .requests: return requests
                case .retries: return retries
                }
            }
            set {
                switch resource {
                case .connections: connections = newValue
                case .pending: pending = newValue
                case .requests: requests = newValue
                case .retries: retries = newValue
                }
            }
        }
    }

    private var counts: [String: Counts] = [:]

    /// How many of `resource` the cluster holds now.
    func count(_ resource: Resource, cluster: String) -> Int { counts[cluster]?[resource] ?? 0 }

    /// Whether the cluster may take one more of `resource` under `policy`.
    func allows(_ resource: Resource, cluster: String, policy: ConnectionPoolPolicy) -> Bool {
        count(resource, cluster: cluster) < resource.limit(in: policy) ?? .max
    }

    /// Takes one of `resource` when the policy allows it; false (nothing taken) when its limit is reached.
    mutating func take(_ resource: Resource, cluster: String, policy: ConnectionPoolPolicy) -> Bool {
        guard allows(resource, cluster: cluster, policy: policy) else { return false }
        counts[cluster, default: Counts()][resource] += 1
        return true
    }

    /// Gives one of `resource` back; a count never goes below zero.
    mutating func release(_ resource: Resource, cluster: String) {
        guard let held = counts[cluster]?[resource], held > 0 else { return }
        counts[cluster]?[resource] = held - 1
    }
}
