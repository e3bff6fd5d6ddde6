import NIOConcurrencyHelpers

/// Counters the proxy keeps and the admin page exposes (Envoy-style names).
public final class ProxyStats: Sendable {
    private let counters = NIOLockedValueBox<[String: Int]>([:])

    public init() {}

    public func increment(_ name: String, by amount: Int = 1) {
        counters.withLockedValue { $0[name, default: 0] += amount }
    }

    public func value(_ name: String) -> Int { counters.withLockedValue { $0[name] ?? 0 } }

    public var all: [String: Int] { counters.withLockedValue { $0 } }

    /// Prometheus text: each counter as `envoy_<name with _>`.
    public func prometheusText() -> String {
        all.sorted { $0.key < $1.key }.map { key, value in
            let name = "envoy_" + key.map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
            return "# TYPE \(name) counter\n\(name) \(value)\n"
        }.joined()
    }
}
