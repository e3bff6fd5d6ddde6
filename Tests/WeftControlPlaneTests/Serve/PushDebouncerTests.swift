import Testing
@testable import WeftControlPlane

/// The debouncer alone, on instants the test makes: no clock is waited on.
@Suite("push debouncer")
struct PushDebouncerTests {
    let start = ContinuousClock.now

    func at(_ milliseconds: Int) -> ContinuousClock.Instant { start.advanced(by: .milliseconds(milliseconds)) }

    @Test("a push is due a quiet period after the last change, and each change restarts the wait")
    func quietPeriod() {
        var debouncer = PushDebouncer<ContinuousClock.Instant>(quiet: .milliseconds(100), maximum: .seconds(10))
        #expect(debouncer.deadline == nil && !debouncer.fire(at: at(0)))
        debouncer.changed(at: at(0))
        #expect(debouncer.deadline == at(100))
        debouncer.changed(at: at(60))
        #expect(debouncer.deadline == at(160))
        let r1 = debouncer.fire(at: at(159))
        #expect(!r1)
        let r2 = debouncer.fire(at: at(160))
        #expect(r2)
        #expect(!debouncer.isPending && debouncer.deadline == nil, "a fired push is no longer pending")
    }

    @Test("under continuous churn the push waits no longer than the maximum after the first change")
    func maximumWait() {
        var debouncer = PushDebouncer<ContinuousClock.Instant>(quiet: .milliseconds(100), maximum: .milliseconds(500))
        for milliseconds in stride(from: 0, through: 450, by: 50) { debouncer.changed(at: at(milliseconds)) }
        #expect(debouncer.deadline == at(500))
        let r3 = debouncer.fire(at: at(499))
        #expect(!r3)
        let r4 = debouncer.fire(at: at(500))
        #expect(r4)
        debouncer.changed(at: at(510))
        #expect(debouncer.deadline == at(610), "the next burst has its own first change")
    }
}
