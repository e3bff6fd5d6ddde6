import Foundation
import Testing

/// istio.io's Bookinfo routing tasks through `weft demo`, with the corpus's own task YAML, driven
/// through the ingress gateway by a browser-like client with a cookie session.
@Suite("Bookinfo tasks through weft demo", .serialized,
       .enabled(if: BookinfoDemo.corpusPresent, "../shared/istio-corpus is absent: the Bookinfo task YAML comes from it"))
struct BookinfoTaskTests {
    static let networking = "samples/bookinfo/networking/"

    @Test("0 baseline: the page is the Simple Bookstore App and round-robins over reviews v1, v2 and v3 (no, black and red stars); Ctrl-C stops every process")
    func baseline() throws {
        let demo = try BookinfoDemo()
        defer { _ = demo.interrupt() }
        let visits = try demo.visit(30)
        #expect(visits.titles == ["Simple Bookstore App"])
        #expect(visits.failures.isEmpty, "\(visits.failures)")
        #expect(visits.stars["none", default: 0] >= 5 && visits.stars["black", default: 0] >= 5 && visits.stars["red", default: 0] >= 5, "\(visits.stars)")
        #expect(Set(visits.servedBy.keys) == ["reviews-v1", "reviews-v2", "reviews-v3"], "\(visits.servedBy)")
        #expect(try BookinfoDemo.run("/usr/bin/env", ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--noproxy", "*", demo.gateway + "/"]) == "404",
                "paths outside the bookinfo VirtualService get 404 from the gateway")

        let pids = try BookinfoDemo.run("/usr/bin/env", ["pgrep", "-f", "--", "--port \(demo.gatewayPort)|\(demo.api)"])
        #expect(demo.interrupt() == 0)
        let left = try BookinfoDemo.run("/usr/bin/env", ["pgrep", "-f", "--", "\(demo.api)"])
        #expect(left.isEmpty, "processes left after Ctrl-C: \(left) (were \(pids))")
        let listening = try BookinfoDemo.run("/usr/bin/env", ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--noproxy", "*", demo.gateway + "/productpage"])
        #expect(listening == "000", "the gateway port is closed after Ctrl-C")
    }

    @Test("1 request routing: all-v1 never shows stars; with reviews-test-v2 jason sees black stars and everyone else none")
    func requestRouting() throws {
        let demo = try BookinfoDemo()
        defer { _ = demo.interrupt() }
        try demo.apply(corpus: Self.networking + "virtual-service-all-v1.yaml")
        let allV1 = try demo.visit(20)
        #expect(allV1.stars == ["none": 20], "\(allV1.stars)")
        #expect(allV1.servedBy == ["reviews-v1": 20])

        try demo.apply(corpus: Self.networking + "virtual-service-reviews-test-v2.yaml")
        let jason = try demo.visit(15, login: "jason")
        #expect(jason.signedInAs == "jason")
        #expect(jason.stars == ["black": 15], "\(jason.stars)")
        #expect(jason.servedBy == ["reviews-v2": 15])
        let anonymous = try demo.visit(15)
        #expect(anonymous.stars == ["none": 15], "\(anonymous.stars)")
        let someoneElse = try demo.visit(10, login: "bob")
        #expect(someoneElse.signedInAs == "bob")
        #expect(someoneElse.stars == ["none": 10], "\(someoneElse.stars)")
    }

    @Test("3 traffic shifting: 50-v3 gives red stars about half the time; reviews-v3 always red")
    func trafficShifting() throws {
        let demo = try BookinfoDemo()
        defer { _ = demo.interrupt() }
        try demo.apply(corpus: Self.networking + "destination-rule-all.yaml", changesRoutes: false)
        try demo.apply(corpus: Self.networking + "virtual-service-all-v1.yaml")
        #expect(try demo.visit(10).stars == ["none": 10])

        try demo.apply(corpus: Self.networking + "virtual-service-reviews-50-v3.yaml")
        let split = try demo.visit(200)
        let red = split.stars["red", default: 0]
        // 200 draws at p = 0.5: the standard deviation is about 7, so 70...130 is more than 4 of them.
        #expect((70...130).contains(red), "red stars on \(red) of 200 pages: \(split.stars)")
        #expect(split.stars["none", default: 0] + red == 200, "only v1 (no stars) and v3 (red): \(split.stars)")

        try demo.apply(corpus: Self.networking + "virtual-service-reviews-v3.yaml")
        #expect(try demo.visit(20).stars == ["red": 20])
    }
}
