/// When a push is due, as Istio debounces: a quiet period after the last change
/// (PILOT_DEBOUNCE_AFTER), but never longer than a maximum after the first one under continuous
/// churn (PILOT_DEBOUNCE_MAX). Time comes in as arguments, so tests drive it without waiting.
struct PushDebouncer<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    let quiet: Duration
    let maximum: Duration
    private var first: Instant?
    private var last: Instant?

    init(quiet: Duration, maximum: Duration) {
        self.quiet = quiet
        self.maximum = maximum
    }

    /// A change at `now`: a push becomes pending (or stays pending, its quiet period restarted).
    mutating func changed(at now: Instant) {
        if first == nil { first = now }
        last = now
    }

    var isPending: Bool { first != nil }

    /// When the pending push is due; nil when none is pending.
    var deadline: Instant? {
        guard let first, let last else { return nil }
        return min(last.advanced(by: quiet), first.advanced(by: maximum))
    }

    /// True when the pending push is due at `now`; it is then no longer pending.
    mutating func fire(at now: Instant) -> Bool {
        guard let deadline, now >= deadline else { return false }
        first = nil
        last = nil
        return true
    }
}
