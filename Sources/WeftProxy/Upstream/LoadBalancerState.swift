import NIOConcurrencyHelpers
import NIOCore
import WeftModel

/// Load balancing state shared by every connection of a proxy: round-robin positions, requests in
/// flight per endpoint (LEAST_REQUEST's power of two choices), consistent-hash tables, when each
/// endpoint was first seen (warmup) and outlier detection. The decisions themselves are the plain
/// values of WeftModel's Balancing folder; this class only keeps their state behind one lock.
public final class LoadBalancerState: Sendable {
    private struct State {
        var positions: [String: Int] = [:]
        var inFlight: [String: Int] = [:]
        /// A few tables per cluster: with locality levels or ejections the endpoint set a request
        /// hashes over varies, and each set keeps its own table rather than rebuilding one.
        var hashTables: [String: [ConsistentHashTable]] = [:]
        /// cluster → endpoint → first seen (ms); endpoints there when the cluster appeared count as old.
        var firstSeen: [String: [String: Int64]] = [:]
        var outliers: [String: OutlierTracker] = [:]
    }
    private let state = NIOLockedValueBox(State())

    public init() {}

    /// What a pick needs besides the endpoints.
    public struct Request {
        public var cluster: ClusterView?
        public var clusterName: String
        /// The consistent-hash key of the request, when the cluster hashes and the request has one.
        public var hashKey: String?
        /// The endpoints do not all weigh the same: round robin and random go by weight.
        public var weighted: Bool

        public init(cluster: ClusterView?, clusterName: String, hashKey: String? = nil, weighted: Bool = false) {
            self.cluster = cluster
            self.clusterName = clusterName
            self.hashKey = hashKey
            self.weighted = weighted
        }
    }

    /// Milliseconds on the monotonic clock, the time base of ejections and warmup.
    public static func now() -> Int64 { Int64(NIODeadline.now().uptimeNanoseconds / 1_000_000) }

    /// The endpoint for one request, or nil when none is healthy.
    public func pick(_ request: Request, endpoints: [EndpointGroup.Endpoint]) -> EndpointGroup.Endpoint? {
        guard !endpoints.isEmpty else { return nil }
        if let position = plainPosition(cluster: request.cluster, clusterName: request.clusterName, weighted: request.weighted, endpoints: endpoints) {
            return endpoints[position]
        }
        let cluster = request.cluster
        let now = Self.now()
        let roll = FastRandom.unit()
        return state.withLockedValue { state -> EndpointGroup.Endpoint? in
            var candidates = endpoints
            if let policy = cluster?.config.outlierDetection {
                let tracker = state.outliers[request.clusterName] ?? OutlierTracker()
                let healthy = tracker.available(endpoints, policy: policy, now: now)
                let panic = healthy.count == endpoints.count && endpoints.contains { tracker.isEjected($0.key, now: now) }
                candidates = panic ? endpoints : PriorityLoad.choose(endpoints, isHealthy: { !tracker.isEjected($0.key, now: now) }, roll: roll)
            } else if endpoints.contains(where: { $0.priority != 0 }) {
                candidates = PriorityLoad.choose(endpoints, isHealthy: { _ in true }, roll: roll)
            }
            guard !candidates.isEmpty else { return nil }
            if candidates.first?.localityWeight != nil { candidates = Self.locality(candidates, roll: FastRandom.unit()) }
            if let hash = cluster?.config.hashPolicy {
                guard let key = request.hashKey else { return candidates.randomElement() }
                let keys = candidates.map(\.key)
                var tables = state.hashTables[request.clusterName] ?? []
                let table: ConsistentHashTable
                if let cached = tables.first(where: { $0.endpointKeys == keys }) {
                    table = cached
                } else {
                    table = ConsistentHashTable(endpoints: candidates, table: hash.table)
                    tables.insert(table, at: 0)
                    state.hashTables[request.clusterName] = Array(tables.prefix(4))
                }
                return table.lookup(StableHash.hash(key)).map { candidates[$0] } ?? candidates[0]
            }
            if let warmup = cluster?.config.warmup, let chosen = Self.warm(candidates, warmup, cluster: request.clusterName, now: now, state: &state) {
                return chosen
            }
            if request.weighted, let chosen = Self.weighted(cluster?.config.loadBalancer ?? .roundRobin, request.clusterName, candidates, state: &state) {
                return chosen
            }
            return Self.simple(cluster?.config.loadBalancer ?? .roundRobin, request.clusterName, candidates, state: &state)
        }
    }

    /// The common case, a cluster balanced plainly (one endpoint, or round robin, random or least
    /// request over equal endpoints: no outlier detection, hashing, warmup, weights, locality weights
    /// or priorities): the chosen endpoint's position in `endpoints`, read there by the caller (a
    /// returned endpoint was a copy of its strings and labels). Nil when the cluster balances otherwise.
    public func plainPosition(cluster: ClusterView?, clusterName: String, weighted: Bool, endpoints: [EndpointGroup.Endpoint]) -> Int? {
        guard !endpoints.isEmpty, !weighted, endpoints.first?.localityWeight == nil else { return nil }
        if let cluster, cluster.config.outlierDetection != nil || cluster.config.hashPolicy != nil || cluster.config.warmup != nil { return nil }
        guard !endpoints.contains(where: { $0.priority != 0 }) else { return nil }
        if endpoints.count == 1 { return 0 }
        let policy = cluster?.config.loadBalancer ?? .roundRobin
        if policy == .random || policy == .passthrough { return Int(FastRandom.unit() * Double(endpoints.count)) % endpoints.count }
        return state.withLockedValue { Self.simplePosition(policy, clusterName, endpoints, state: &$0) }
    }

    private static func simple(_ policy: ClusterConfig.LoadBalancer, _ cluster: String, _ endpoints: [EndpointGroup.Endpoint], state: inout State) -> EndpointGroup.Endpoint {
        endpoints[simplePosition(policy, cluster, endpoints, state: &state)]
    }

    private static func simplePosition(_ policy: ClusterConfig.LoadBalancer, _ cluster: String, _ endpoints: [EndpointGroup.Endpoint], state: inout State) -> Int {
        if endpoints.count == 1 { return 0 }
        switch policy {
        case .random, .passthrough:
            return Int(FastRandom.unit() * Double(endpoints.count)) % endpoints.count
        case .roundRobin:
            let position = state.positions[cluster, default: 0]
            state.positions[cluster] = position &+ 1
            return abs(position) % endpoints.count
        case .leastRequest:
            let first = Int(FastRandom.unit() * Double(endpoints.count)) % endpoints.count
            var second = Int(FastRandom.unit() * Double(endpoints.count - 1)) % (endpoints.count - 1)
            if second >= first { second += 1 }
            return state.inFlight[endpoints[first].key, default: 0] <= state.inFlight[endpoints[second].key, default: 0] ? first : second
        }
    }

    /// Endpoints of unequal `weight`: round robin takes each endpoint as many times in a row as its
    /// weight over a cycle of the total (exact shares, as Envoy's weighted round robin gives over
    /// time), random rolls by weight. Nil for LEAST_REQUEST, which goes unweighted.
    private static func weighted(_ policy: ClusterConfig.LoadBalancer, _ cluster: String, _ endpoints: [EndpointGroup.Endpoint], state: inout State) -> EndpointGroup.Endpoint? {
        let total = endpoints.reduce(0) { $0 + max($1.weight, 0) }
        guard total > 0 else { return nil }
        var remaining: Int
        switch policy {
        case .roundRobin:
            let position = state.positions[cluster, default: 0]
            state.positions[cluster] = position &+ 1
            remaining = abs(position) % total
        case .random, .passthrough:
            remaining = Int(FastRandom.unit() * Double(total)) % total
        case .leastRequest:
            return nil
        }
        for endpoint in endpoints {
            if remaining < max(endpoint.weight, 0) { return endpoint }
            remaining -= max(endpoint.weight, 0)
        }
        return endpoints.last
    }

    /// Distribute: a locality by its weight, then the endpoints in it.
    private static func locality(_ endpoints: [EndpointGroup.Endpoint], roll: Double) -> [EndpointGroup.Endpoint] {
        let groups = Dictionary(grouping: endpoints, by: \.locality).sorted { $0.key < $1.key }
        let total = groups.reduce(0) { $0 + ($1.value.first?.localityWeight ?? 0) }
        guard total > 0 else { return endpoints }
        var remaining = roll * Double(total)
        for (_, group) in groups {
            let weight = Double(group.first?.localityWeight ?? 0)
            if remaining < weight { return group }
            remaining -= weight
        }
        return groups.last?.value ?? endpoints
    }

    /// Slow start: weighted random by each endpoint's warmup factor, while any is young.
    private static func warm(_ endpoints: [EndpointGroup.Endpoint], _ policy: WarmupPolicy, cluster: String, now: Int64, state: inout State) -> EndpointGroup.Endpoint? {
        let known = state.firstSeen[cluster]
        var seen = known ?? [:]
        for endpoint in endpoints where seen[endpoint.key] == nil { seen[endpoint.key] = known == nil ? Int64.min / 2 : now }
        state.firstSeen[cluster] = seen
        let factors = endpoints.map { WarmupWeight.factor(ageMs: now - (seen[$0.key] ?? 0), policy: policy) * Double(max($0.weight, 1)) }
        guard factors.contains(where: { $0 < Double(1) }) else { return nil }
        var remaining = FastRandom.unit() * factors.reduce(0, +)
        for (index, factor) in factors.enumerated() {
            if remaining < factor { return endpoints[index] }
            remaining -= factor
        }
        return endpoints.last
    }

    /// Counts an attempt's outcome for outlier detection; true when it ejected the endpoint.
    @discardableResult
    public func record(_ outcome: EndpointOutcome, cluster: String, endpoint: String, policy: OutlierPolicy, endpointCount: Int) -> Bool {
        let now = Self.now()
        return state.withLockedValue { state in
            state.outliers[cluster, default: OutlierTracker()].record(outcome, endpoint: endpoint, policy: policy, endpointCount: endpointCount, now: now)
        }
    }

    /// Endpoints ejected now, by cluster, with their ejection counts (for the admin page).
    public func ejections() -> [String: [String: (ejections: Int, remainingMs: Int64)]] {
        let now = Self.now()
        return state.withLockedValue { state in
            var result: [String: [String: (ejections: Int, remainingMs: Int64)]] = [:]
            for (cluster, tracker) in state.outliers {
                for (key, host) in tracker.hosts {
                    if let until = host.ejectedUntil, until > now { result[cluster, default: [:]][key] = (host.ejections, until - now) }
                }
            }
            return result
        }
    }

    public func started(_ host: String, _ port: Int) {
        state.withLockedValue { $0.inFlight["\(host):\(port)", default: 0] += 1 }
    }

    public func finished(_ host: String, _ port: Int) {
        state.withLockedValue { $0.inFlight["\(host):\(port)", default: 1] -= 1 }
    }
}
