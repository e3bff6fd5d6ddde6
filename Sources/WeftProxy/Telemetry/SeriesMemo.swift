import WeftTelemetry

/// The series a loop's requests were recorded under, by the facts they were made from: a new
/// connection finds its series here (a hash of the facts) instead of making it again, which
/// decodes the peer's metadata header and builds every label (~100k instructions, once per
/// connection before: per request for a client that opens a connection each time).
struct SeriesMemo {
    struct Key: Hashable {
        var facts: RequestTelemetry.SeriesFacts
        var reporter: RequestSeries.Reporter
    }

    /// Past this many the memo starts over: a peer header per caller could otherwise grow it without end.
    static let limit = 1024

    private var ids: [Key: RequestMetrics.SeriesID] = [:]

    /// The series of `key`, made (and interned by `make`) when it is not here.
    mutating func series(_ key: Key, make: () -> RequestMetrics.SeriesID) -> RequestMetrics.SeriesID {
        if let id = ids[key] { return id }
        let id = make()
        if ids.count >= Self.limit { ids.removeAll(keepingCapacity: true) }
        ids[key] = id
        return id
    }
}
