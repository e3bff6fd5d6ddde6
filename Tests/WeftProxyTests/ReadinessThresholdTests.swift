import Testing
@testable import WeftProxy

@Suite("Readiness probe thresholds")
struct ReadinessThresholdTests {
    @Test("not ready until the first success; once ready, one or two failed probes keep it ready, the third in a row makes it unready; a success in between starts the count again")
    func failureThreshold() {
        var threshold = ReadinessThreshold()
        #expect(threshold.probed(answering: false) == false)
        #expect(threshold.probed(answering: true) == true)
        #expect(threshold.probed(answering: false) == true)
        #expect(threshold.probed(answering: false) == true)
        #expect(threshold.probed(answering: true) == true)
        #expect(threshold.probed(answering: false) == true)
        #expect(threshold.probed(answering: false) == true)
        #expect(threshold.probed(answering: false) == false)
        #expect(threshold.probed(answering: true) == true)
    }
}
