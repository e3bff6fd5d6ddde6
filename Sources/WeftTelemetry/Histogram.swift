/// A histogram with fixed upper bounds, as Prometheus exposes it: a count per bucket (not
/// cumulative here; the exposition sums), the sum and the count of observations.
public struct Histogram: Sendable, Equatable {
    /// Envoy's default bounds, which Istio's `istio_request_duration_milliseconds` uses (ms).
    public static let durationBounds: [Double] = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000]
    /// Istio's bounds for `istio_request_bytes` and `istio_response_bytes`: powers of ten from 1 B.
    public static let byteBounds: [Double] = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000]

    /// Observations per bucket; the last slot is above every bound (+Inf).
    public private(set) var buckets: [UInt64]
    public private(set) var sum: Double = 0
    public private(set) var count: UInt64 = 0

    public init(bounds: Int) {
        buckets = Array(repeating: 0, count: bounds + 1)
    }

    /// Counts `value` in the first bucket whose bound holds it.
    public mutating func observe(_ value: Double, bounds: [Double]) {
        var index = 0
        while index < bounds.count && value > bounds[index] { index += 1 }
        buckets[index] += 1
        sum += value
        count += 1
    }

    /// Adds another histogram of the same bounds (one event loop's to another's).
    public mutating func merge(_ other: Histogram) {
        for index in buckets.indices where index < other.buckets.count { buckets[index] += other.buckets[index] }
        sum += other.sum
        count += other.count
    }
}
