import Foundation
import Testing

/// The client's Sidecar: its port 9080 on the pod IP is an HTTP listener routed as the outbound proxy.
private let clientHTTPEgress = """
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

/// HTTP/2 clients at the sidecars' HTTP listeners: h2c with prior knowledge, told from HTTP/1.1 by
/// the first bytes; each stream is an exchange of its own, answered by HTTP/1.1 upstreams.
@Suite("HTTP/2 downstream", .serialized)
struct HTTP2Tests {
    static func mesh() throws -> (MeshHarness, client: String, reviews: String) {
        let mesh = try MeshHarness()
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: MeshFixtures.reviewsService + "\n---\n" + clientHTTPEgress).status == 0)
        try mesh.startEcho(name: "reviews-v1", labels: "app=reviews,version=v1")
        let client = try mesh.startClient()
        try mesh.waitForEndpoints(proxy: "client", count: 1)
        let reviews = try #require(try mesh.controlPlane.proxies().first { $0.id.hasPrefix("reviews-v1") }?.podIP)
        return (mesh, client, reviews)
    }

    static func curlH2(_ arguments: [String]) throws -> (version: String, status: Int, body: String) {
        let output = try WeftProcess.runTool("curl", ["-s", "-m", "10", "--http2-prior-knowledge", "-w", "\n%{http_version} %{http_code}"] + arguments)
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
        let last = (lines.last ?? "").split(separator: " ")
        return (last.first.map(String.init) ?? "", Int(last.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }

    @Test("curl --http2-prior-knowledge at a Sidecar egress HTTP port and at the server's inbound port: HTTP/2 answers (and a 1 KB request body) from an HTTP/1.1 app, routed and load-balanced as HTTP/1.1 requests are; HTTP/1.1 still served on the same ports")
    func priorKnowledge() throws {
        let (mesh, client, reviews) = try Self.mesh()
        defer { mesh.stopWorkloads() }
        var egress = (version: "", status: 0, body: "")
        let deadline = Date().addingTimeInterval(20)
        repeat {
            egress = try Self.curlH2(["-H", "Host: reviews:9080", "http://\(client):9080/reviews/0"])
            if egress.status != 200 { Thread.sleep(forTimeInterval: 0.1) }
        } while egress.status != 200 && Date() < deadline
        #expect(egress.version == "2" && egress.status == 200 && egress.body.contains("reviews-v1"), "\(egress)\n\(mesh.workloadOutput())")
        let inbound = try Self.curlH2(["http://\(reviews):9080/reviews/0"])
        #expect(inbound.version == "2" && inbound.status == 200 && inbound.body.contains("reviews-v1"), "\(inbound)")
        // A body on the stream reaches the app whole, while the upstream connection opens (reads paused, then resumed).
        let posted = try Self.curlH2(["-H", "Host: reviews:9080", "--data-binary", String(repeating: "x", count: 1000), "http://\(client):9080/reviews/0"])
        #expect(posted.status == 200 && posted.body.contains("\"body_length\": 1000"), "\(posted.status) \(posted.body.prefix(300))")
        let plain = try WeftProcess.runTool("curl", ["-s", "-m", "10", "-w", "\n%{http_version} %{http_code}", "-H", "Host: reviews:9080", "http://\(client):9080/reviews/0"])
        #expect(plain.hasSuffix("1.1 200"), "\(plain)")
        // A host outside the registry is answered as for HTTP/1.1 (ALLOW_ANY passes it through; it does not resolve).
        let missing = try Self.curlH2(["-H", "Host: nowhere.invalid:9080", "http://\(client):9080/"])
        let missingPlain = try WeftProcess.runTool("curl", ["-s", "-o", "/dev/null", "-m", "10", "-w", "%{http_code}", "-H", "Host: nowhere.invalid:9080", "http://\(client):9080/"])
        #expect(missing.version == "2" && missing.status >= 400 && String(missing.status) == missingPlain, "\(missing) vs HTTP/1.1 \(missingPlain)")
        let stats = String(decoding: try Data(contentsOf: URL(string: "http://\(client):15000/stats")!), as: UTF8.self)
        #expect(stats.contains("downstream_cx_http2_total: 3"), "\(stats)")
    }

    @Test("h2load: 2000 requests on 2 connections with 10 concurrent streams each, all 200, through the client's and the server's sidecars",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/h2load"), "h2load is not installed (.ci/run installs nghttp2-client)"))
    func h2load() throws {
        let (mesh, client, _) = try Self.mesh()
        defer { mesh.stopWorkloads() }
        let deadline = Date().addingTimeInterval(20)
        while try Self.curlH2(["-H", "Host: reviews:9080", "http://\(client):9080/reviews/0"]).status != 200 && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        let output = try WeftProcess.runTool("h2load", ["-n", "2000", "-c", "2", "-m", "10", "-H", ":authority: reviews:9080", "http://\(client):9080/reviews/0"])
        #expect(output.contains("2000 succeeded") && output.contains("status codes: 2000 2xx"), "\(output)")
    }

    @Test("HTTP/2 abuse (h2 from PyPI, frame by frame): rapid reset, SETTINGS and CONTINUATION floods, too many streams, an oversized frame end in GOAWAY, a bad preface gets HTTP/1.1's 400; the sidecar serves on",
          .enabled(if: HTTP2Tests.hasH2, "the h2 package is not installed (.ci/run installs it from PyPI)"))
    func abuse() throws {
        let (mesh, client, _) = try Self.mesh()
        defer { mesh.stopWorkloads() }
        let deadline = Date().addingTimeInterval(20)
        while try Self.curlH2(["-H", "Host: reviews:9080", "http://\(client):9080/reviews/0"]).status != 200 && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        let output = try WeftProcess.runTool("python3", [MeshHarness.fixtures.appendingPathComponent("h2_abuse.py").path, client, "9080", "reviews:9080"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: [String: Any]], "\(output)")
        print("h2 abuse: \(output)")
        #expect(report["normal"]?["answered"] as? Int == 200, "\(report)")
        // Which limit a flood meets first depends on how far the server read before it (a CONTINUATION
        // run may be cut as a flood or as a broken header block): either code is right.
        let expected: [String: Set<String>] = ["rapid_reset": ["ENHANCE_YOUR_CALM"], "settings_flood": ["ENHANCE_YOUR_CALM"],
                                               "continuation_without_end": ["ENHANCE_YOUR_CALM", "PROTOCOL_ERROR"],
                                               "headers_flood": ["ENHANCE_YOUR_CALM", "PROTOCOL_ERROR", "REFUSED_STREAM"], "oversized_frame": ["FRAME_SIZE_ERROR"]]
        for (abuse, codes) in expected {
            let result = report[abuse] ?? [:]
            #expect(codes.contains(result["goaway"] as? String ?? ""), "\(abuse): GOAWAY \(codes): \(result)")
        }
        let stats = String(decoding: try Data(contentsOf: URL(string: "http://\(client):15000/stats")!), as: UTF8.self)
        let protocolErrors = stats.split(separator: "\n").first { $0.hasPrefix("downstream_cx_protocol_error: ") }.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
        #expect(protocolErrors >= 5, "each abuse counted: \(stats)")
        #expect(report["bad_preface"]?["answered"] as? Int == 400, "\(report)")
        let after = try Self.curlH2(["-H", "Host: reviews:9080", "http://\(client):9080/reviews/0"])
        #expect(after.status == 200, "the sidecar still serves: \(after)")
    }

    static var hasH2: Bool {
        (try? WeftProcess.runTool("python3", ["-c", "import h2, hyperframe; print('ok')"]))?.contains("ok") == true
    }
}
