import NIOCore
import WeftModel

/// The clock of the pool's idle sweep: a count of sweeps, stamped on a connection when it goes
/// idle, so a release reads no clock and arms no timer of its own (a timer a release was an
/// allocation and a heap insertion on every request of a cluster with `idleTimeout`).
struct IdleSweepClock {
    /// How often the sweep runs while anything is idle: a connection closes between its idle
    /// timeout and one interval later.
    let interval: TimeAmount
    /// Envoy's and Istio's idle timeout where the DestinationRule sets none: 1 hour.
    let defaultTimeout: TimeAmount
    /// Sweeps run so far.
    private(set) var tick = 0
    /// A sweep is scheduled.
    var armed = false

    init(interval: TimeAmount = .seconds(1), defaultTimeout: TimeAmount = .hours(1)) {
        self.interval = interval
        self.defaultTimeout = defaultTimeout
    }

    mutating func advance() { tick += 1 }

    /// Whether something idle since sweep `since` has been idle for `timeoutMs` (or the default).
    func expired(since: Int, timeoutMs: Int?) -> Bool {
        let timeout = timeoutMs.flatMap { $0 > 0 ? TimeAmount.milliseconds(Int64($0)) : nil } ?? defaultTimeout
        return interval.nanoseconds * Int64(tick - since) >= timeout.nanoseconds
    }
}

extension UpstreamConnectionPool {
    /// Makes sure a sweep will run: called when a connection goes idle, each request (inlined:
    /// it is a flag's test once the sweep runs).
    @inline(__always)
    func armIdleSweep() {
        if !idleSweep.armed { scheduleIdleSweep() }
    }

    private func scheduleIdleSweep() {
        idleSweep.armed = true
        eventLoop.assumeIsolated().scheduleTask(in: idleSweep.interval) { [weak self] in self?.sweepIdle() }
    }

    /// Closes the HTTP/1.1 connections and the HTTP/2 connections without a stream that have been
    /// idle for their cluster's `idleTimeout` (1 hour if unset), counting each
    /// (`upstream_cx_idle_timeout`), and runs again while anything stays idle.
    func sweepIdle() {
        idleSweep.armed = false
        idleSweep.advance()
        var anyIdle = false
        // Closed after the lists are changed: a close can reach the connection's own removal from its list.
        var expired: [UpstreamHandler] = []
        for list in idle.values where !list.connections.isEmpty {
            list.connections.removeAll { connection in
                guard let entry = connection.pooled, idleSweep.expired(since: connection.idleSince, timeoutMs: entry.policy.idleTimeoutMs) else { return false }
                expired.append(connection)
                return true
            }
            anyIdle = anyIdle || !list.connections.isEmpty
        }
        for connection in expired {
            if let cluster = connection.pooled?.cluster { stats?.increment(cluster: cluster, "upstream_cx_idle_timeout") }
            connection.channel?.close(promise: nil)
        }
        for (key, slots) in http2Connections {
            for slot in slots where slot.streams == 0 {
                guard idleSweep.expired(since: slot.idleSince, timeoutMs: slot.idleTimeoutMs) else {
                    anyIdle = true
                    continue
                }
                stats?.increment(cluster: key.cluster, "upstream_cx_idle_timeout")
                slot.retired = true
                http2Connections[key]?.removeAll { $0 === slot }
                slot.closeIfDone()
            }
            if http2Connections[key]?.isEmpty == true { http2Connections.removeValue(forKey: key) }
        }
        if anyIdle { armIdleSweep() }
    }
}
