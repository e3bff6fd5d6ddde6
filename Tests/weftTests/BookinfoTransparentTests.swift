import Foundation
import Testing

/// `weft demo --netns`: Bookinfo with every pod in its own network namespace and apps with no
/// proxy settings (productpage calls `details` and `reviews` by name, reviews calls `ratings`),
/// and istio.io's routing tasks with their own YAML, as in host mode.
@Suite("Bookinfo in transparent mode (weft demo --netns)", .serialized,
       .enabled(if: TransparentPods.available && BookinfoDemo.corpusPresent, "needs root, iptables and ../shared/istio-corpus"))
struct BookinfoTransparentTests {
    static let networking = "samples/bookinfo/networking/"

    @Test("the page round-robins over reviews v1–v3 from namespaced pods; all-v1 shows no stars; reviews-test-v2 gives jason black stars; Ctrl-C leaves no namespace")
    func routingTasks() throws {
        let demo = try BookinfoDemo(arguments: ["--netns"])
        var stopped = false
        defer { if !stopped { _ = demo.interrupt() } }
        let namespaces = try WeftProcess.runTool("ip", ["netns", "list"]).split(separator: "\n").filter { $0.hasPrefix("weft-") }
        #expect(namespaces.count >= 6, "one network namespace per Bookinfo pod: \(namespaces)")
        let baseline = try demo.visit(30)
        #expect(baseline.titles == ["Simple Bookstore App"] && baseline.failures.isEmpty, "\(baseline.failures)")
        #expect(Set(baseline.servedBy.keys) == ["reviews-v1", "reviews-v2", "reviews-v3"], "\(baseline.servedBy)")
        #expect(baseline.reviewsErrors == 0 && baseline.ratingsErrors == 0, "productpage reached reviews and reviews reached ratings by name")

        try demo.apply(corpus: Self.networking + "virtual-service-all-v1.yaml")
        let allV1 = try demo.visit(20)
        #expect(allV1.stars == ["none": 20] && allV1.servedBy == ["reviews-v1": 20], "\(allV1.servedBy)")
        try demo.apply(corpus: Self.networking + "virtual-service-reviews-test-v2.yaml")
        let jason = try demo.visit(15, login: "jason")
        #expect(jason.signedInAs == "jason" && jason.stars == ["black": 15], "\(jason.stars)")
        #expect(try demo.visit(15).stars == ["none": 15])

        stopped = true
        #expect(demo.interrupt() == 0)
        #expect(!(try WeftProcess.runTool("ip", ["netns", "list"]).contains("weft-")), "every pod's namespace went with it")
    }
}
