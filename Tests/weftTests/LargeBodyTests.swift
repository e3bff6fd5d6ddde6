import Foundation
import Testing

/// The client's Sidecar: its port 9080 on the pod IP is an HTTP listener (HTTP/1.1 or h2c) routed as the outbound proxy.
private let clientEgress = """
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: client}
spec:
  workloadSelector: {labels: {app: client}}
  egress:
  - port: {number: 9080, protocol: HTTP2, name: http2-reviews}
    captureMode: NONE
    hosts: ["./reviews.default.svc.cluster.local"]
"""

/// Bodies many times the proxies' buffers, both ways, through the client's and the server's
/// sidecars (mutual TLS between them): backpressure pauses and resumes reads, nothing stalls.
@Suite("Large bodies", .serialized)
struct LargeBodyTests {
    static let size = 3_000_000

    @Test("3 MB request bodies and 3 MB responses through both sidecars, over HTTP/1.1 (by length and chunked) and h2c, arrive whole; Expect: 100-continue is answered by the proxy and not passed on, as Envoy does")
    func bothWays() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: MeshFixtures.reviewsService + "\n---\n" + clientEgress).status == 0)
        try mesh.startEcho(name: "reviews-v1", labels: "app=reviews,version=v1")
        let client = try mesh.startClient()
        try mesh.waitForEndpoints(proxy: "client", count: 1)
        let body = FileManager.default.temporaryDirectory.appendingPathComponent("weft-large-body-\(UUID().uuidString)")
        try Data(repeating: UInt8(ascii: "x"), count: Self.size).write(to: body)
        defer { try? FileManager.default.removeItem(at: body) }
        let ways: [(name: String, arguments: [String])] = [
            ("HTTP/1.1 through the outbound proxy", ["-x", "http://\(client):15001", "http://reviews:9080"]),
            ("h2c at the egress port", ["--http2-prior-knowledge", "-H", "Host: reviews:9080", "http://\(client):9080"]),
        ]
        for way in ways {
            let target = way.arguments.last ?? ""
            let options = Array(way.arguments.dropLast())
            var upload = ""
            let deadline = Date().addingTimeInterval(20)
            repeat {
                upload = try WeftProcess.runTool("curl", ["-s", "-m", "30", "--data-binary", "@" + body.path, "-w", "\n%{http_code}"] + options + [target + "/upload"])
                if !upload.hasSuffix("200") { Thread.sleep(forTimeInterval: 0.1) }
            } while !upload.hasSuffix("200") && Date() < deadline
            #expect(upload.hasSuffix("200") && upload.contains("\"body_length\": \(Self.size)"), "\(way.name): \(upload.prefix(400))")
            #expect(!upload.contains("\"expect\""), "\(way.name): the upstream saw Expect: \(upload.prefix(600))")
            let download = try WeftProcess.runTool("curl", ["-s", "-m", "30", "-o", "/dev/null", "-w", "%{http_code} %{size_download}"] + options + [target + "/bytes/\(Self.size)"])
            #expect(download == "200 \(Self.size)", "\(way.name): \(download)")
        }
        // Chunked from the client: the proxy reads the chunks and sends them on chunked, whole.
        let chunked = try WeftProcess.runTool("curl", ["-s", "-m", "30", "-H", "Transfer-Encoding: chunked", "--data-binary", "@" + body.path, "-w", "\n%{http_code}",
                                                      "-x", "http://\(client):15001", "http://reviews:9080/upload"])
        #expect(chunked.hasSuffix("200") && chunked.contains("\"body_length\": \(Self.size)"), "chunked: \(chunked.prefix(400))")
        let continued = try WeftProcess.runTool("curl", ["-s", "-D", "-", "-m", "10", "-H", "Expect: 100-continue", "-d", "abc", "-x", "http://\(client):15001", "http://reviews:9080/expect"])
        #expect(continued.contains("HTTP/1.1 100 Continue") && continued.contains("\"body_length\": 3") && !continued.contains("\"expect\""), "\(continued)")
    }
}
