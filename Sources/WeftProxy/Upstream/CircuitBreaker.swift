import NIOConcurrencyHelpers
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

    /// Takes one of `resource` past the limit (Envoy's one connection per pool whatever the limit).
    mutating func force(_ resource: Resource, cluster: String) {
        counts[cluster, default: Counts()][resource] += 1
    }

    /// Gives one of `resource` back; a count never goes below zero.
    mutating func release(_ resource: Resource, cluster: String) {
        guard let held = counts[cluster]?[resource], held > 0 else { return }
        counts[cluster]?[resource] = held - 1
    }
}

/// The circuit breakers of one proxy, shared by its event loops' pools: Envoy's limits are per
/// cluster across all worker threads, so two loops never get twice the connections a
/// DestinationRule allows. Each loop counts what it holds under a lock (uncontended: a few
/// operations per request).
public final class SharedCircuitBreaker: Sendable {
    private let state = NIOLockedValueBox(CircuitBreaker())

    public init() {}

    /// How many of `resource` the cluster holds now, over every loop.
    func count(_ resource: CircuitBreaker.Resource, cluster: String) -> Int {
        state.withLockedValue { $0.count(resource, cluster: cluster) }
    }

    /// Whether the cluster may take one more of `resource` under `policy`.
    func allows(_ resource: CircuitBreaker.Resource, cluster: String, policy: ConnectionPoolPolicy) -> Bool {
        state.withLockedValue { $0.allows(resource, cluster: cluster, policy: policy) }
    }

    /// Takes one of `resource` when the policy allows it, or whatever the limit when `anyway`
    /// (a loop's first connection to a cluster, which Envoy always allows); false when refused.
    func take(_ resource: CircuitBreaker.Resource, cluster: String, policy: ConnectionPoolPolicy, anyway: Bool = false) -> Bool {
        state.withLockedValue { breaker in
            if breaker.take(resource, cluster: cluster, policy: policy) { return true }
            guard anyway else { return false }
            breaker.force(resource, cluster: cluster)
            return true
        }
    }

    /// Gives one of `resource` back.
    func release(_ resource: CircuitBreaker.Resource, cluster: String) {
        state.withLockedValue { $0.release(resource, cluster: cluster) }
    }
}
