import Foundation
import Testing

/// istio.io's fault-injection and request-timeout tasks on Bookinfo through `weft demo`, with the
/// corpus's YAML: the outcomes and rough durations the task pages document.
@Suite("Bookinfo fault injection and timeouts through weft demo", .serialized,
       .enabled(if: BookinfoDemo.corpusPresent, "../shared/istio-corpus is absent: the task YAML comes from it"))
struct BookinfoFaultTests {
    static let networking = "samples/bookinfo/networking/"

    @Test("2 fault injection: a 7 s ratings delay for jason makes the page show the reviews error after about 6 s; an abort shows the ratings error at once")
    func faultInjection() throws {
        let demo = try BookinfoDemo()
        defer { _ = demo.interrupt() }
        try demo.apply(corpus: Self.networking + "virtual-service-all-v1.yaml")
        try demo.apply(corpus: Self.networking + "virtual-service-reviews-test-v2.yaml")
        try demo.apply(corpus: Self.networking + "virtual-service-ratings-test-delay.yaml")

        let jason = try demo.visit(1, login: "jason")
        // productpage gives reviews 3 s, twice; reviews v2 would wait 10 s for the delayed ratings.
        #expect(jason.reviewsErrors == 1, "\(jason)")
        #expect((5.5...7.5).contains(jason.seconds.first ?? 0), "the page took \(jason.seconds) s; the task documents about 6 s")
        let others = try demo.visit(3)
        #expect(others.reviewsErrors == 0 && others.stars == ["none": 3], "\(others)")
        #expect(others.seconds.allSatisfy { $0 < 2 }, "no delay for other users: \(others.seconds)")

        try demo.apply(corpus: Self.networking + "virtual-service-ratings-test-abort.yaml")
        let aborted = try demo.visit(3, login: "jason")
        #expect(aborted.ratingsErrors == 3 && aborted.reviewsErrors == 0, "reviews v2 shows 'Ratings service is currently unavailable': \(aborted)")
        #expect(aborted.servedBy == ["reviews-v2": 3])
        #expect(aborted.seconds.allSatisfy { $0 < 2 }, "the abort answers at once: \(aborted.seconds)")
    }

    @Test("4 request timeouts: a 2 s ratings delay slows the page by about 2 s; a 0.5 s reviews timeout returns it in about 1 s without reviews")
    func requestTimeouts() throws {
        let demo = try BookinfoDemo()
        defer { _ = demo.interrupt() }
        try demo.apply(corpus: Self.networking + "virtual-service-all-v1.yaml")
        try demo.apply(corpus: "docs-tasks/request-timeouts/01-reviews-v2.yaml")
        try demo.apply(corpus: "docs-tasks/request-timeouts/02-ratings-delay-2s.yaml")
        let slowed = try demo.visit(2)
        #expect(slowed.stars == ["black": 2], "\(slowed)")
        #expect(slowed.seconds.allSatisfy { (1.9...3.5).contains($0) }, "about 2 s longer: \(slowed.seconds)")

        try demo.apply(corpus: "docs-tasks/request-timeouts/03-reviews-v2-timeout-0.5s.yaml")
        let timedOut = try demo.visit(2)
        #expect(timedOut.reviewsErrors == 2, "\(timedOut)")
        // 0.5 s route timeout × 2 attempts by productpage.
        #expect(timedOut.seconds.allSatisfy { (0.9...1.8).contains($0) }, "about 1 s: \(timedOut.seconds)")
    }
}
