/// The HTTP metrics one event loop recorded: per series, the request count and the duration,
/// request-size and response-size histograms. A value type owned by its loop, so recording takes
/// no lock; the exposition copies each loop's value and merges them.
public struct RequestMetrics: Sendable {
    /// What one series holds.
    public struct Sample: Sendable, Equatable {
        public var duration = Histogram(bounds: Histogram.durationBounds.count)
        public var requestBytes = Histogram(bounds: Histogram.byteBounds.count)
        public var responseBytes = Histogram(bounds: Histogram.byteBounds.count)
        public var count: UInt64 { duration.count }

        mutating func observe(durationMilliseconds: Double, requestBytes: Int, responseBytes: Int) {
            duration.observe(durationMilliseconds, bounds: Histogram.durationBounds)
            self.requestBytes.observe(Double(requestBytes), bounds: Histogram.byteBounds)
            self.responseBytes.observe(Double(responseBytes), bounds: Histogram.byteBounds)
        }

        mutating func merge(_ other: Sample) {
            duration.merge(other.duration)
            requestBytes.merge(other.requestBytes)
            responseBytes.merge(other.responseBytes)
        }
    }

    public private(set) var series: [RequestSeries: Sample] = [:]

    public init() {}

    /// One finished request: how long from its first byte to the response's last, and its body sizes.
    public mutating func record(_ key: RequestSeries, durationMilliseconds: Double, requestBytes: Int, responseBytes: Int) {
        series[key, default: Sample()].observe(durationMilliseconds: durationMilliseconds, requestBytes: requestBytes, responseBytes: responseBytes)
    }

    /// Adds another loop's metrics.
    public mutating func merge(_ other: RequestMetrics) {
        for (key, sample) in other.series { series[key, default: Sample()].merge(sample) }
    }
}
