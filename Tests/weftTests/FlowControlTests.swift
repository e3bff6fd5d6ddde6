import Foundation
import Testing

/// HTTP/2 flow control end to end: a stream whose reader stops holds back its own upstream, not
/// the connection's other streams, and neither sidecar buffers what the reader has not taken.
@Suite("HTTP/2 flow control", .serialized, .enabled(if: HTTP2Tests.hasH2, "the h2 package is not installed (.ci/run installs it from PyPI)"))
struct FlowControlTests {
    static let big = 64 << 20

    @Test("one h2c connection through both sidecars (mutual TLS between them): a 64 MiB answer whose reader opens no window stalls at its window while a 1 MiB answer on another stream arrives whole; the app is held back short of the 64 MiB and neither sidecar's memory grows by more than a quarter of it; once the reader reads, all 64 MiB arrive")
    func slowReaderStallsOnlyItsStream() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: MeshFixtures.reviewsService).status == 0)
        try mesh.startEcho(name: "reviews-v1", labels: "app=reviews,version=v1")
        let client = try mesh.startClient()
        try mesh.waitForEndpoints(proxy: "client", count: 1)
        try mesh.waitUntil("reviews answers through the client's sidecar") { (try? mesh.curl(through: client, "http://reviews:9080/").0) == 200 }
        let server = try #require(try mesh.controlPlane.proxies().first { $0.id.hasPrefix("reviews-v1-") }?.podIP)

        let path = "/bytes/\(Self.big)/slow"
        let output = try WeftProcess.runTool("python3", [MeshHarness.fixtures.appendingPathComponent("h2_slow_reader.py").path, client, "15001", "reviews:9080",
                                                         path, "/bytes/\(1 << 20)", "/__sent" + path, "\(client):15000", "\(server):15000"])
        let result = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any], "\(output)\n\(mesh.workloadOutput())")
        print("flow control: \(result)")
        #expect(result["small"] as? Int == 1 << 20, "the other stream is served whole: \(result)")
        #expect((result["big_while_stalled"] as? Int ?? .max) <= 65_535, "the stalled stream got no more than its window: \(result)")
        let sent = result["app_sent_while_stalled"] as? Int ?? .max
        #expect(sent < Self.big, "the app was held back (what it wrote sits in socket buffers): \(result)")
        let before = result["memory_before"] as? [Int] ?? []
        let stalled = result["memory_stalled"] as? [Int] ?? []
        #expect(before.count == 2 && stalled.count == 2 && zip(before, stalled).allSatisfy { $1 - $0 < Self.big / 4 },
                "neither sidecar holds the body: \(result)")
        #expect(result["big_total"] as? Int == Self.big, "\(result)")
    }
}
