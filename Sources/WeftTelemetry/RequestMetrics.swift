/// The HTTP metrics one event loop recorded: per series, the request count and the duration,
/// request-size and response-size histograms. A value type owned by its loop, so recording takes
/// no lock; the exposition copies each loop's value and merges them. A series is interned once
/// (`intern`): what varies per request (status, flags) is keyed beside its number, so a request
/// hashes a few integers, not two dozen label strings.
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

    /// An interned series' number: its labels but the response's.
    public typealias SeriesID = Int32

    struct Key: Hashable, Sendable {
        var series: SeriesID
        var responseCode: Int32
        var responseFlags: String
        var grpcResponseStatus: String
    }

    /// Istio's TCP metrics of one series: connections opened and closed, bytes each way.
    public struct TCPSample: Sendable, Equatable {
        public var opened: UInt64 = 0
        public var closed: UInt64 = 0
        /// From the server to the client.
        public var sentBytes: UInt64 = 0
        /// From the client to the server.
        public var receivedBytes: UInt64 = 0

        mutating func merge(_ other: TCPSample) {
            opened += other.opened
            closed += other.closed
            sentBytes += other.sentBytes
            receivedBytes += other.receivedBytes
        }
    }

    struct TCPKey: Hashable, Sendable {
        var series: SeriesID
        var responseFlags: String
    }

    private var bases: [RequestSeries] = []
    private var baseIDs: [RequestSeries: SeriesID] = [:]
    /// The samples, in the order their keys first came, and where each key's is: a request records
    /// into the same key as the last one nearly always, and that is compared, not hashed.
    private var samples: [(key: Key, sample: Sample)] = []
    private var sampleIndex: [Key: Int] = [:]
    private var lastRecorded: (key: Key, index: Int)?
    private var tcpSamples: [TCPKey: TCPSample] = [:]

    public init() {}

    /// The number of `series` without its response labels (status, flags, gRPC status).
    public mutating func intern(_ series: RequestSeries) -> SeriesID {
        var base = series
        base.responseCode = 0
        base.responseFlags = "-"
        base.grpcResponseStatus = ""
        if let id = baseIDs[base] { return id }
        let id = SeriesID(bases.count)
        bases.append(base)
        baseIDs[base] = id
        return id
    }

    /// One finished request of an interned series.
    public mutating func record(_ series: SeriesID, responseCode: Int, responseFlags: String, grpcResponseStatus: String = "",
                                durationMilliseconds: Double, requestBytes: Int, responseBytes: Int) {
        let key = Key(series: series, responseCode: Int32(clamping: responseCode), responseFlags: responseFlags, grpcResponseStatus: grpcResponseStatus)
        samples[slot(for: key)].sample.observe(durationMilliseconds: durationMilliseconds, requestBytes: requestBytes, responseBytes: responseBytes)
    }

    /// Where `key`'s sample is, made empty the first time.
    private mutating func slot(for key: Key) -> Int {
        if let last = lastRecorded, last.key == key { return last.index }
        let index: Int
        if let found = sampleIndex[key] {
            index = found
        } else {
            index = samples.count
            samples.append((key, Sample()))
            sampleIndex[key] = index
        }
        lastRecorded = (key, index)
        return index
    }

    /// One finished request: how long from its first byte to the response's last, and its body sizes.
    public mutating func record(_ series: RequestSeries, durationMilliseconds: Double, requestBytes: Int, responseBytes: Int) {
        record(intern(series), responseCode: series.responseCode, responseFlags: series.responseFlags, grpcResponseStatus: series.grpcResponseStatus,
               durationMilliseconds: durationMilliseconds, requestBytes: requestBytes, responseBytes: responseBytes)
    }

    /// Every series with its labels complete, for the exposition.
    public var series: [RequestSeries: Sample] {
        var all: [RequestSeries: Sample] = [:]
        for (key, sample) in samples where Int(key.series) < bases.count {
            var full = bases[Int(key.series)]
            full.responseCode = Int(key.responseCode)
            full.responseFlags = key.responseFlags
            full.grpcResponseStatus = key.grpcResponseStatus
            all[full, default: Sample()].merge(sample)
        }
        return all
    }

    /// A TCP connection's change: opened, closed, bytes sent to the client or received from it.
    public mutating func recordTCP(_ series: SeriesID, responseFlags: String = "-", opened: UInt64 = 0, closed: UInt64 = 0, sentBytes: Int = 0, receivedBytes: Int = 0) {
        let key = TCPKey(series: series, responseFlags: responseFlags)
        tcpSamples[key, default: TCPSample()].merge(TCPSample(opened: opened, closed: closed, sentBytes: UInt64(max(0, sentBytes)), receivedBytes: UInt64(max(0, receivedBytes))))
    }

    /// Every TCP series with its labels complete, for the exposition.
    public var tcpSeries: [RequestSeries: TCPSample] {
        var all: [RequestSeries: TCPSample] = [:]
        for (key, sample) in tcpSamples where Int(key.series) < bases.count {
            var full = bases[Int(key.series)]
            full.responseFlags = key.responseFlags
            all[full, default: TCPSample()].merge(sample)
        }
        return all
    }

    /// Adds another loop's metrics.
    public mutating func merge(_ other: RequestMetrics) {
        for (series, sample) in other.tcpSeries {
            tcpSamples[TCPKey(series: intern(series), responseFlags: series.responseFlags), default: TCPSample()].merge(sample)
        }
        for (series, sample) in other.series {
            let key = Key(series: intern(series), responseCode: Int32(clamping: series.responseCode), responseFlags: series.responseFlags,
                          grpcResponseStatus: series.grpcResponseStatus)
            samples[slot(for: key)].sample.merge(sample)
        }
    }
}
