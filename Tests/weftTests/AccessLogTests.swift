import Foundation
import Testing

/// Access logs on real sidecars, configured as a user does: the `istio` ConfigMap's `mesh` key.
@Suite("Access logs", .serialized)
struct AccessLogTests {
    /// The seed's `accessLogFormat`, exactly as it is written in its mesh config.
    static let seedMesh = """
    accessLogFile: /dev/stdout
    accessLogEncoding: JSON
    accessLogFormat: |
      {
        "start_time": "%START_TIME%",
        "method": "%REQ(:METHOD)%",
        "path": "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%",
        "protocol": "%PROTOCOL%",
        "response_code": "%RESPONSE_CODE%",
        "duration": "%DURATION%",
        "bytes_sent": "%BYTES_SENT%",
        "bytes_received": "%BYTES_RECEIVED%",
        "user_agent": "%REQ(USER-AGENT)%",
        "request_id": "%REQ(X-REQUEST-ID)%",
        "authority": "%REQ(:AUTHORITY)%",
        "upstream_host": "%UPSTREAM_HOST%",
        "upstream_cluster": "%UPSTREAM_CLUSTER%",
        "upstream_local_address": "%UPSTREAM_LOCAL_ADDRESS%"
      }
    """

    static func configMap(_ mesh: String) -> String {
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n  mesh: |\n"
            + mesh.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n") + "\n"
    }

    static let routeToV1 = MeshFixtures.reviewsWithSubsets + "\n---\n" + """
    apiVersion: networking.istio.io/v1
    kind: VirtualService
    metadata: {name: reviews}
    spec:
      hosts: [reviews]
      http:
      - route: [{destination: {host: reviews, subset: v1}}]
    """

    static func lines(_ file: URL) -> [String] {
        ((try? String(contentsOf: file, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Waits (bounded) until `file` holds `count` lines; the sidecar writes its buffer out within a second.
    static func waitForLines(_ file: URL, count: Int, mesh: MeshHarness, timeout: TimeInterval = 20) throws -> [String] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let found = lines(file)
            if found.count >= count { return found }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw mesh.failure("\(file.path) did not reach \(count) lines: \(lines(file))")
    }

    @Test("the seed's JSON format given through the istio ConfigMap: one JSON object per request on each side, with method, path, code, upstream cluster and duration; the app's own output stays clean")
    func seedJSONFormat() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("weft-access-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        let applied = try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: Self.configMap(Self.seedMesh) + "---\n" + Self.routeToV1)
        #expect(applied.status == 0, "\(applied.stderr)")
        let serverLog = directory.appendingPathComponent("reviews.log")
        try mesh.startEcho(name: "reviews-v1", labels: "app=reviews,version=v1", runArguments: ["--proxy-log", serverLog.path])
        // No --proxy-log: the sidecar's /dev/stdout goes to $TMPDIR/weft/NAMESPACE/POD/istio-proxy.log.
        let client = try mesh.startClient(environment: ["TMPDIR": directory.path])
        try mesh.waitForEndpoints(proxy: "client-", cluster: "outbound|9080|v1|reviews.default.svc.cluster.local", count: 1)
        let clientLog = directory.appendingPathComponent("weft/default/client/istio-proxy.log")
        let before = Self.lines(clientLog).count
        for index in 0..<3 {
            let (status, _) = try mesh.curl(through: client, "http://reviews:9080/reviews/\(index)", headers: ["User-Agent: seed-test/\(index)"])
            #expect(status == 200)
        }
        let logged = try Self.waitForLines(clientLog, count: before + 3, mesh: mesh).suffix(3)
        let objects = try logged.map { line in try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not one JSON object: \(line)") }
        for (index, object) in objects.enumerated() {
            #expect(object["method"] as? String == "GET" && object["path"] as? String == "/reviews/\(index)" && object["protocol"] as? String == "HTTP/1.1", "\(object)")
            #expect(object["response_code"] as? Int == 200 && (object["duration"] as? Int).map { $0 >= 0 } == true && (object["bytes_sent"] as? Int ?? 0) > 0, "\(object)")
            #expect(object["upstream_cluster"] as? String == "outbound|9080|v1|reviews.default.svc.cluster.local", "\(object)")
            #expect(object["user_agent"] as? String == "seed-test/\(index)" && object["authority"] as? String == "reviews:9080", "\(object)")
            #expect((object["request_id"] as? String)?.count == 36 && (object["upstream_host"] as? String)?.hasSuffix(":9080") == true
                    && (object["upstream_local_address"] as? String)?.contains(":") == true, "\(object)")
            #expect((object["start_time"] as? String)?.hasSuffix("Z") == true && object.count == 14, "\(object)")
        }
        // The server's sidecar logs the same requests inbound, with the request id the client's sidecar made.
        let served = try Self.waitForLines(serverLog, count: 3, mesh: mesh)
        let ids = Set(objects.compactMap { $0["request_id"] as? String })
        let inbound = served.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }.filter { ids.contains($0["request_id"] as? String ?? "") }
        #expect(inbound.count == 3 && inbound.allSatisfy { $0["response_code"] as? Int == 200 && ($0["upstream_cluster"] as? String)?.hasPrefix("inbound|9080|") == true }, "\(served)")
        // Kept apart from the app's output, and said where once.
        let output = mesh.output(of: "client")
        #expect(!output.contains("upstream_cluster") && output.contains(clientLog.lastPathComponent), "\(output)")

        // Istio's default TEXT format once the format is removed: the change reaches the running sidecar.
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: Self.configMap("accessLogFile: /dev/stdout")).status == 0)
        let deadline = Date().addingTimeInterval(20)
        var text: String?
        repeat {
            _ = try mesh.curl(through: client, "http://reviews:9080/text")
            Thread.sleep(forTimeInterval: 0.1)
            text = Self.lines(clientLog).last { $0.hasPrefix("[") }
        } while text == nil && Date() < deadline
        let line = try #require(text, "no TEXT line in \(Self.lines(clientLog).suffix(3))")
        #expect(line.contains("\"GET /text HTTP/1.1\" 200 - via_upstream - \"-\" 0 ") && line.contains(" outbound|9080|v1|reviews.default.svc.cluster.local "), "\(line)")
    }

    @Test("an access log file that cannot be opened is NACKed with the reason, the other resources still apply, and the proxy keeps serving")
    func unopenableFile() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: Self.routeToV1).status == 0)
        try mesh.startEcho(name: "reviews-v1", labels: "app=reviews,version=v1")
        let client = try mesh.startClient()
        try mesh.waitForEndpoints(proxy: "client-", cluster: "outbound|9080|v1|reviews.default.svc.cluster.local", count: 1)
        // One apply: a log file in a directory that does not exist, and a route that adds a response header.
        let withHeader = Self.routeToV1.replacingOccurrences(of: "  - route: [{destination: {host: reviews, subset: v1}}]",
                                                             with: "  - route: [{destination: {host: reviews, subset: v1}}]\n    headers: {response: {add: {x-applied: \"yes\"}}}")
        let applied = try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: Self.configMap("accessLogFile: /nonexistent-weft-dir/access.log") + "---\n" + withHeader)
        #expect(applied.status == 0, "\(applied.stderr)")
        var status = ""
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            status = try mesh.controlPlane.weft(["proxy-status"]).stdout
            if status.contains("NACKED") { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(status.contains("NACKED") && status.contains("/nonexistent-weft-dir/access.log") && status.contains("cannot be opened"), "\(status)")
        let metrics = String(decoding: try Data(contentsOf: URL(string: mesh.controlPlane.url + "/metrics")!), as: UTF8.self)
        let rejects = metrics.split(separator: "\n").first { $0.hasPrefix("pilot_total_xds_rejects{type=\"lds\"}") }.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
        #expect(rejects >= 1, "\(metrics)")
        // The routes were accepted (the new header is there), and the last good listeners still serve.
        for _ in 0..<3 {
            let answer = try WeftProcess.runTool("curl", ["-s", "-D", "-", "-x", "http://\(client):15001", "http://reviews:9080/"])
            #expect(answer.hasPrefix("HTTP/1.1 200") && answer.lowercased().contains("x-applied: yes") && answer.contains("reviews-v1"), "\(answer)")
        }
    }

    @Test("an accessLogFormat with an unknown operator is refused by validation with its field path, and nothing is stored")
    func unknownOperator() throws {
        let controlPlane = try ControlPlaneProcess()
        let refused = try controlPlane.weft(["apply", "-f", "-"], stdin: Self.configMap("accessLogFile: /dev/stdout\naccessLogFormat: \"%REQ(:METHOD)% %NOT_AN_OPERATOR%\\n\""))
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("data.mesh.accessLogFormat") && refused.stderr.contains("NOT_AN_OPERATOR"), "\(refused.stderr)")
        let stored = try controlPlane.weft(["get", "configmap", "istio", "-n", "istio-system"])
        #expect(stored.status != 0 || !stored.stdout.contains("NOT_AN_OPERATOR"), "\(stored.stdout)")
        let json = try controlPlane.weft(["apply", "-f", "-"], stdin: Self.configMap("accessLogFile: /dev/stdout\naccessLogEncoding: JSON\naccessLogFormat: '{\"code\": \"%RESPONSE_CODE%\", \"x\": \"%BOGUS(Y)%\"}'"))
        #expect(json.status != 0 && json.stderr.contains("data.mesh.accessLogFormat") && json.stderr.contains("BOGUS"), "\(json.stderr)")
    }
}
