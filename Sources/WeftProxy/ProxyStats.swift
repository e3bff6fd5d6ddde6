import NIOConcurrencyHelpers
import Synchronization

/// Counters the proxy keeps and the admin page exposes (Envoy-style names): listener-wide ones,
/// and per-cluster ones shown as `cluster.<name>.<stat>` and tagged `cluster_name` in Prometheus.
public final class ProxyStats: Sendable {
    private let counters = NIOLockedValueBox<[String: Int]>([:])
    private let clusterCounters = NIOLockedValueBox<[String: [String: Int]]>([:])
    /// The counters every request touches, as atomics: the locked dictionary costs a lock and a
    /// String hash per increment, and every loop of the proxy counts into the same table.
    private let requestsTotal = Synchronization.Atomic<Int>(0)
    private let status1xx = Synchronization.Atomic<Int>(0), status2xx = Synchronization.Atomic<Int>(0), status3xx = Synchronization.Atomic<Int>(0)
    private let status4xx = Synchronization.Atomic<Int>(0), status5xx = Synchronization.Atomic<Int>(0)

    public init() {}

    public func increment(_ name: String, by amount: Int = 1) {
        counters.withLockedValue { $0[name, default: 0] += amount }
    }

    /// Sets a gauge (a value that goes up and down, such as the last push's apply time).
    public func set(_ name: String, to value: Int) {
        counters.withLockedValue { $0[name] = value }
    }

    /// Raises a gauge to `value` if it is lower (a high-water mark).
    public func raise(_ name: String, to value: Int) {
        counters.withLockedValue { $0[name] = max($0[name] ?? 0, value) }
    }

    /// Counts `name` for one cluster (`upstream_cx_connect_fail` of `outbound|9080||reviews...`).
    public func increment(cluster: String, _ name: String, by amount: Int = 1) {
        clusterCounters.withLockedValue { $0[cluster, default: [:]][name, default: 0] += amount }
    }

    private static let statusClasses = (0...9).map { "downstream_rq_\($0)xx" }

    /// `downstream_rq_total`, one more.
    public func countRequest() {
        requestsTotal.add(1, ordering: .relaxed)
    }

    /// `downstream_rq_2xx` (…) for a response's status.
    public func countStatus(_ status: Int) {
        switch status / 100 {
        case 1: status1xx.add(1, ordering: .relaxed)
        case 2: status2xx.add(1, ordering: .relaxed)
        case 3: status3xx.add(1, ordering: .relaxed)
        case 4: status4xx.add(1, ordering: .relaxed)
        case 5: status5xx.add(1, ordering: .relaxed)
        default: increment(Self.statusClass(status))
        }
    }

    /// The locked counters with the atomic ones added in (a name may be counted both ways: `downstream_rq_4xx`
    /// by a local 408 as by a response); an atomic one shows once it has counted, as a dictionary counter does.
    private var mergedCounters: [String: Int] {
        var merged = counters.withLockedValue { $0 }
        func add(_ name: String, _ atomic: borrowing Synchronization.Atomic<Int>) {
            let value = atomic.load(ordering: .relaxed)
            if value > 0 { merged[name, default: 0] += value }
        }
        add("downstream_rq_total", requestsTotal)
        add(Self.statusClasses[1], status1xx)
        add(Self.statusClasses[2], status2xx)
        add(Self.statusClasses[3], status3xx)
        add(Self.statusClasses[4], status4xx)
        add(Self.statusClasses[5], status5xx)
        return merged
    }

    /// `downstream_rq_2xx` for 200…299, without building the name per response.
    public static func statusClass(_ status: Int) -> String { statusClasses[min(max(status / 100, 0), 9)] }

    public func value(_ name: String) -> Int { mergedCounters[name] ?? 0 }

    public func value(cluster: String, _ name: String) -> Int { clusterCounters.withLockedValue { $0[cluster]?[name] ?? 0 } }

    /// Every counter by its Envoy name, per-cluster ones as `cluster.<name>.<stat>`.
    public var all: [String: Int] {
        var merged = mergedCounters
        for (cluster, stats) in clusterCounters.withLockedValue({ $0 }) {
            for (name, value) in stats { merged["cluster.\(cluster).\(name)"] = value }
        }
        return merged
    }

    /// Prometheus text: each counter as `envoy_<name with _>`; per-cluster ones as
    /// `envoy_cluster_<stat>{cluster_name="..."}`, as Envoy tags them.
    public func prometheusText() -> String {
        var text = mergedCounters.sorted { $0.key < $1.key }.map { key, value in
            let name = "envoy_" + Self.metricName(key)
            return "# TYPE \(name) counter\n\(name) \(value)\n"
        }.joined()
        var byStat: [String: [(cluster: String, value: Int)]] = [:]
        for (cluster, stats) in clusterCounters.withLockedValue({ $0 }) {
            for (name, value) in stats { byStat[name, default: []].append((cluster, value)) }
        }
        for (stat, rows) in byStat.sorted(by: { $0.key < $1.key }) {
            let name = "envoy_cluster_" + Self.metricName(stat)
            text += "# TYPE \(name) counter\n"
            for row in rows.sorted(by: { $0.cluster < $1.cluster }) {
                let label = row.cluster.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                text += "\(name){cluster_name=\"\(label)\"} \(row.value)\n"
            }
        }
        return text
    }

    private static func metricName(_ key: String) -> String {
        key.map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
    }
}
