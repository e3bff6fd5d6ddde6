/// What the control plane holds of each remote key set: the last good one and how fetching goes.
public actor JWKSStatuses {
    /// One URI's state, as `weft get jwks` shows it.
    public struct Status: Sendable, Codable, Equatable {
        public var uri: String
        /// Keys in the set held (0: none yet).
        public var keys: Int
        /// When the held set was fetched, seconds ago; nil when none was ever fetched.
        public var fetchedSecondsAgo: Double?
        /// The last attempt's failure; nil when it succeeded.
        public var lastError: String?
        public var failures: Int
    }

    private struct Entry {
        var json: String?
        var keys = 0
        var fetchedAt: ContinuousClock.Instant?
        var attemptedAt: ContinuousClock.Instant?
        var lastError: String?
        var failures = 0
    }

    private var entries: [String: Entry] = [:]

    public init() {}

    /// Forgets URIs no RequestAuthentication names any more.
    func retain(_ uris: Set<String>) {
        entries = entries.filter { uris.contains($0.key) }
    }

    /// URIs never tried, whose set is older than `refresh`, or whose last failure is older than `retry`.
    func due(_ uris: [String], now: ContinuousClock.Instant, refresh: Duration, retry: Duration) -> [String] {
        uris.filter { uri in
            guard let entry = entries[uri], let attempted = entry.attemptedAt else { return true }
            if entry.lastError != nil { return now - attempted >= retry }
            return now - (entry.fetchedAt ?? attempted) >= refresh
        }
    }

    func succeeded(_ uri: String, json: String, keys: Int, at instant: ContinuousClock.Instant) {
        var entry = entries[uri] ?? Entry()
        entry.json = json
        entry.keys = keys
        entry.fetchedAt = instant
        entry.attemptedAt = instant
        entry.lastError = nil
        entries[uri] = entry
    }

    func failed(_ uri: String, reason: String, at instant: ContinuousClock.Instant) {
        var entry = entries[uri] ?? Entry()
        entry.attemptedAt = instant
        entry.lastError = reason
        entry.failures += 1
        entries[uri] = entry
    }

    /// The held set of every URI that has one.
    func goodKeySets() -> [String: String] {
        entries.compactMapValues(\.json)
    }

    /// Every URI's state, sorted by URI.
    public func statuses() -> [Status] {
        let now = ContinuousClock.now
        return entries.sorted { $0.key < $1.key }.map { uri, entry in
            Status(uri: uri, keys: entry.keys, fetchedSecondsAgo: entry.fetchedAt.map { Self.seconds(now - $0) }, lastError: entry.lastError, failures: entry.failures)
        }
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
