import NIOCore
import WeftModel

/// The clock of the pool's idle sweep: the time its sweeps have covered, stamped on a connection
/// when it goes idle, so a release reads no clock and arms no timer of its own (a timer a release
/// was an allocation and a heap insertion on every request of a cluster with `idleTimeout`).
/// A connection is stamped with the end of the sweep interval it went idle in, so it is never
/// closed before its timeout, and at most one interval after it.
struct IdleSweepClock {
    /// The longest interval between sweeps (while anything is idle).
    let longestInterval: Int64
    /// The shortest: an `idleTimeout` of a few milliseconds does not make the loop spin.
    static let shortestInterval: Int64 = 10_000_000
    /// Envoy's and Istio's idle timeout where the DestinationRule sets none: 1 hour.
    let defaultTimeout: Int64
    /// Nanoseconds the sweeps run so far have covered.
    private(set) var elapsed: Int64 = 0
    /// The interval of the sweep scheduled now (nil: none is).
    private(set) var scheduled: Int64?

    var armed: Bool { scheduled != nil }

    init(interval: TimeAmount = .seconds(1), defaultTimeout: TimeAmount = .hours(1)) {
        self.longestInterval = interval.nanoseconds
        self.defaultTimeout = defaultTimeout.nanoseconds
    }

    /// The stamp of something going idle now: the end of the current interval.
    var stamp: Int64 { elapsed + (scheduled ?? 0) }

    /// `timeoutMs` (a cluster's `idleTimeout`) in nanoseconds, or the default.
    func timeout(_ timeoutMs: Int?) -> Int64 {
        guard let timeoutMs, timeoutMs > 0 else { return defaultTimeout }
        return Int64(timeoutMs) * 1_000_000
    }

    /// The interval for idle things whose shortest timeout is `shortest`: a quarter of it (a close
    /// at most 25 % late), between 10 ms and the longest interval.
    func interval(forShortest shortest: Int64) -> Int64 {
        min(longestInterval, max(Self.shortestInterval, shortest / 4))
    }

    mutating func schedule(_ interval: Int64) { scheduled = interval }

    /// The scheduled sweep runs: its interval has passed.
    mutating func advance() {
        elapsed += scheduled ?? 0
        scheduled = nil
    }

    /// Whether something stamped `since` has been idle for `timeoutMs` (or the default).
    func expired(since: Int64, timeoutMs: Int?) -> Bool {
        elapsed - since >= timeout(timeoutMs)
    }
}

extension UpstreamConnectionPool {
    /// Schedules a sweep soon enough for `timeoutMs`, unless one is scheduled: called when a
    /// connection goes idle, after testing `idleSweep.armed` (each request: the policy is not read then).
    func armIdleSweep(timeoutMs: Int?) {
        if !idleSweep.armed { scheduleIdleSweep(in: idleSweep.interval(forShortest: idleSweep.timeout(timeoutMs))) }
    }

    private func scheduleIdleSweep(in interval: Int64) {
        idleSweep.schedule(interval)
        eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(interval)) { [weak self] in self?.sweepIdle() }
    }

    /// Closes the HTTP/1.1 connections and the HTTP/2 connections without a stream that have been
    /// idle for their cluster's `idleTimeout` (1 hour if unset), counting each
    /// (`upstream_cx_idle_timeout`), and runs again while anything stays idle, as often as the
    /// shortest timeout left asks.
    func sweepIdle() {
        idleSweep.advance()
        var shortest: Int64?
        func keep(_ timeout: Int64) { shortest = min(shortest ?? timeout, timeout) }
        // Closed after the lists are changed: a close can reach the connection's own removal from its list.
        var expired: [UpstreamHandler] = []
        for list in idle.values where !list.connections.isEmpty {
            list.connections.removeAll { connection in
                guard let entry = connection.pooled else { return false }
                guard idleSweep.expired(since: connection.idleSince, timeoutMs: entry.policy.idleTimeoutMs) else {
                    keep(idleSweep.timeout(entry.policy.idleTimeoutMs))
                    return false
                }
                expired.append(connection)
                return true
            }
        }
        for connection in expired {
            if let cluster = connection.pooled?.cluster { stats?.increment(cluster: cluster, "upstream_cx_idle_timeout") }
            connection.channel?.close(promise: nil)
        }
        for (key, slots) in http2Connections {
            for slot in slots where slot.streams == 0 {
                guard idleSweep.expired(since: slot.idleSince, timeoutMs: slot.idleTimeoutMs) else {
                    keep(idleSweep.timeout(slot.idleTimeoutMs))
                    continue
                }
                stats?.increment(cluster: key.cluster, "upstream_cx_idle_timeout")
                slot.retired = true
                http2Connections[key]?.removeAll { $0 === slot }
                slot.closeIfDone()
            }
            if http2Connections[key]?.isEmpty == true { http2Connections.removeValue(forKey: key) }
        }
        if let shortest { scheduleIdleSweep(in: idleSweep.interval(forShortest: shortest)) }
    }
}
