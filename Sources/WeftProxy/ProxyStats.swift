import NIOConcurrencyHelpers

/// Counters the proxy keeps and the admin page exposes (Envoy-style names): listener-wide ones,
/// and per-cluster ones shown as `cluster.<name>.<stat>` and tagged `cluster_name` in Prometheus.
public final class ProxyStats: Sendable {
    private let counters = NIOLockedValueBox<[String: Int]>([:])
    private let clusterCounters = NIOLockedValueBox<[String: [String: Int]]>([:])

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

    /// `downstream_rq_2xx` for 200…299, without building the name per response.
    public static func statusClass(_ status: Int) -> String { statusClasses[min(max(status / 100, 0), 9)] }

    public func value(_ name: String) -> Int { counters.withLockedValue { $0[name] ?? 0 } }

    public func value(cluster: String, _ name: String) -> Int { clusterCounters.withLockedValue { $0[cluster]?[name] ?? 0 } }

    /// Every counter by its Envoy name, per-cluster ones as `cluster.<name>.<stat>`.
    public var all: [String: Int] {
        var merged = counters.withLockedValue { $0 }
        for (cluster, stats) in clusterCounters.withLockedValue({ $0 }) {
            for (name, value) in stats { merged["cluster.\(cluster).\(name)"] = value }
        }
        return merged
    }

    /// Prometheus text: each counter as `envoy_<name with _>`; per-cluster ones as
    /// `envoy_cluster_<stat>{cluster_name="..."}`, as Envoy tags them.
    public func prometheusText() -> String {
        var text = counters.withLockedValue { $0 }.sorted { $0.key < $1.key }.map { key, value in
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
