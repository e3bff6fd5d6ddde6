import Foundation
import Testing

/// Traces on real proxies, read back from a real Zipkin API (the control plane's, or `weft
/// tracing`), every span checked against Zipkin's own definition (`../shared/zipkin`).
@Suite("Tracing", .serialized)
struct TracingTests {
    static let zipkinAPI = WeftProcess.packageRoot.deletingLastPathComponent().appendingPathComponent("shared/zipkin/zipkin2-api.yaml")
    static var zipkinAPIPresent: Bool { FileManager.default.fileExists(atPath: zipkinAPI.path) }

    typealias Span = [String: Any]

    /// The spans of the traces one of whose spans has tag `key` = `value`, from the Zipkin API at `api`.
    static func spans(api: String, tag key: String = "guid:x-request-id", _ value: String) throws -> [Span] {
        let query = "\(key)=\(value)".addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let text = try WeftProcess.runTool("curl", ["-s", "-m", "5", "--noproxy", "*", "\(api)/api/v2/traces?annotationQuery=\(query)&limit=5"])
        let traces = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [[Span]] ?? []
        return traces.flatMap { $0 }
    }

    /// Runs a Python fixture with `input` on its standard input.
    static func python(_ arguments: [String], input: Data) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stdout
        try process.run()
        try? stdin.fileHandleForWriting.write(contentsOf: input)
        try stdin.fileHandleForWriting.close()
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Every span valid against `definitions/Span` of zipkin2-api.yaml.
    static func expectValid(_ spans: [Span]) throws {
        let check = try python([WeftProcess.packageRoot.appendingPathComponent("Tests/Fixtures/zipkin_span_check.py").path, zipkinAPI.path],
                               input: try JSONSerialization.data(withJSONObject: spans))
        #expect(check.status == 0 && check.output.hasPrefix("valid \(spans.count)"), "\(check.output)")
    }

    static func service(_ span: Span) -> String { (span["localEndpoint"] as? [String: Any])?["serviceName"] as? String ?? "" }
    static func tags(_ span: Span) -> [String: String] { span["tags"] as? [String: String] ?? [:] }

    @Test("gateway → productpage → reviews → ratings: one trace in the built-in collector, each proxy's span a child of the caller's, CLIENT and SERVER kinds, Istio's names and tags, every span valid Zipkin",
          .enabled(if: TracingTests.zipkinAPIPresent, "../shared/zipkin/zipkin2-api.yaml is absent: the spans are checked against it"))
    func bookinfoTrace() throws {
        let demo = try BookinfoDemo()
        defer { _ = demo.interrupt() }
        var found: [Span] = []
        var requestID = ""
        // Reviews v1 calls no ratings: ask again until a page went through v2 or v3 (round robin).
        // The trace is found by the client's user agent (the gateway's span tags it): the client's
        // request id does not go past the gateway, which makes its own for an edge request, as Envoy.
        attempts: for _ in 0..<9 {
            requestID = UUID().uuidString.lowercased()
            let status = try WeftProcess.runTool("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-m", "10", "-H", "x-b3-sampled: 1",
                                                          "-A", "trace-\(requestID)", "-H", "x-request-id: \(requestID)", demo.gateway + "/productpage"])
            #expect(status == "200")
            let deadline = Date().addingTimeInterval(25)
            while Date() < deadline {
                let spans = try Self.spans(api: demo.api, tag: "user_agent", "trace-\(requestID)")
                let byService = Dictionary(grouping: spans) { "\(Self.service($0)) \($0["kind"] as? String ?? "")" }
                let reviewsCalls = byService["reviews.default CLIENT"]?.count ?? 0
                let complete = byService["istio-ingressgateway.istio-system CLIENT"] != nil && byService["productpage.default SERVER"] != nil
                    && byService["productpage.default CLIENT"]?.count == 2 && byService["details.default SERVER"] != nil
                    && byService["reviews.default SERVER"] != nil && (reviewsCalls == 0 || byService["ratings.default SERVER"] != nil)
                if complete {
                    if reviewsCalls > 0 { found = spans; break attempts }
                    break
                }
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
        try #require(found.count == 8, "no complete trace through ratings: \(found)")
        try Self.expectValid(found)
        let traceIDs = Set(found.compactMap { $0["traceId"] as? String })
        #expect(traceIDs.count == 1 && traceIDs.first?.count == 32, "\(traceIDs)")
        let byID = Dictionary(found.map { ($0["id"] as? String ?? "", $0) }, uniquingKeysWith: { first, _ in first })
        func one(_ service: String, _ kind: String, calling host: String? = nil) throws -> Span {
            let match = found.first { span in
                Self.service(span) == service && span["kind"] as? String == kind && (host.map { (Self.tags(span)["upstream_cluster"] ?? "").hasSuffix($0) } ?? true)
            }
            return try #require(match, "no \(kind) span of \(service)")
        }
        func parent(_ span: Span) -> Span? { (span["parentId"] as? String).flatMap { byID[$0] } }
        let gateway = try one("istio-ingressgateway.istio-system", "CLIENT")
        let productpage = try one("productpage.default", "SERVER")
        let toReviews = try one("productpage.default", "CLIENT", calling: "reviews.default.svc.cluster.local")
        let toDetails = try one("productpage.default", "CLIENT", calling: "details.default.svc.cluster.local")
        let reviews = try one("reviews.default", "SERVER")
        let toRatings = try one("reviews.default", "CLIENT")
        let ratings = try one("ratings.default", "SERVER")
        #expect(gateway["parentId"] == nil, "the gateway's span is the root")
        #expect(parent(productpage)?["id"] as? String == gateway["id"] as? String)
        #expect(parent(toReviews)?["id"] as? String == productpage["id"] as? String && parent(toDetails)?["id"] as? String == productpage["id"] as? String)
        #expect(parent(reviews)?["id"] as? String == toReviews["id"] as? String)
        #expect(parent(toRatings)?["id"] as? String == reviews["id"] as? String)
        #expect(parent(ratings)?["id"] as? String == toRatings["id"] as? String)
        #expect(Set(found.compactMap { $0["id"] as? String }).count == 8, "each proxy a span of its own")
        // Istio's operation names and tags.
        #expect(productpage["name"] as? String == "productpage.default.svc.cluster.local:9080/*", "\(productpage)")
        #expect(toRatings["name"] as? String == "ratings.default.svc.cluster.local:9080/*", "\(toRatings)")
        let tags = Self.tags(toRatings)
        let requestIDs = Set(found.map { Self.tags($0)["guid:x-request-id"] ?? "" })
        #expect(requestIDs.count == 1 && requestIDs.first?.count == 36 && !requestIDs.contains(requestID),
                "one request id along the trace, the gateway's own, not the client's: \(requestIDs)")
        #expect(tags["http.method"] == "GET" && tags["http.status_code"] == "200" && tags["response_flags"] == "-", "\(tags)")
        #expect(tags["upstream_cluster"]?.hasPrefix("outbound|9080|") == true && tags["upstream_cluster"]?.hasSuffix("|ratings.default.svc.cluster.local") == true, "\(tags)")
        #expect(tags["http.url"]?.hasPrefix("http://ratings:9080/ratings/") == true && tags["istio.canonical_service"] == "reviews" && tags["istio.namespace"] == "default"
                && tags["istio.mesh_id"] == "cluster.local" && tags["peer.address"] != nil, "\(tags)")
        #expect((ratings["remoteEndpoint"] as? [String: Any])?["ipv4"] != nil && (toRatings["remoteEndpoint"] as? [String: Any])?["port"] as? Int == 9080)
        // The collector's dependency links follow the calls.
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let links = try WeftProcess.runTool("curl", ["-s", "--noproxy", "*", "\(demo.api)/api/v2/dependencies?endTs=\(now)&lookback=600000"])
        #expect(links.contains("\"child\":\"ratings.default\"") && links.contains("\"parent\":\"reviews.default\""), "\(links)")
    }

    @Test("the built-in collector against Zipkin's own API definition with schemathesis: every query operation, and POST /api/v2/spans (JSON)",
          .enabled(if: TracingTests.zipkinAPIPresent, "../shared/zipkin/zipkin2-api.yaml is absent: schemathesis reads it"))
    func schemathesis() throws {
        let controlPlane = try ControlPlaneProcess()
        // Some spans to query: a small trace of two services.
        let spans = """
        [{"traceId":"4e441824ec2b6a44ffdc9bb9a6453df3","id":"ffdc9bb9a6453df3","kind":"CLIENT","name":"get /","timestamp":1700000000000000,"duration":2000,
          "localEndpoint":{"serviceName":"frontend","ipv4":"127.0.0.1"},"remoteEndpoint":{"serviceName":"backend","port":8080},"tags":{"http.method":"GET"}},
         {"traceId":"4e441824ec2b6a44ffdc9bb9a6453df3","id":"0000000000000002","parentId":"ffdc9bb9a6453df3","kind":"SERVER","name":"get /","timestamp":1700000000000500,
          "duration":1000,"localEndpoint":{"serviceName":"backend","ipv6":"::1"},"annotations":[{"timestamp":1700000000000600,"value":"ws"}]}]
        """
        let posted = try WeftProcess.runTool("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-H", "content-type: application/json",
                                                      "--data-binary", spans, controlPlane.url + "/api/v2/spans"])
        #expect(posted == "202")
        let trace = try WeftProcess.runTool("curl", ["-s", controlPlane.url + "/api/v2/trace/4e441824ec2b6a44ffdc9bb9a6453df3"])
        #expect(trace.contains("\"parentId\":\"ffdc9bb9a6453df3\""), "\(trace)")
        // Weft reads JSON spans only: the protobuf alternative of POST /spans is left out of the copy schemathesis reads.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("weft-zipkin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let definition = try String(contentsOf: Self.zipkinAPI, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.contains("application/x-protobuf") }.joined(separator: "\n")
        let json = directory.appendingPathComponent("zipkin2-api-json.yaml")
        try definition.write(to: json, atomically: true, encoding: .utf8)
        // Zipkin's definition documents only 200 for queries with no required field, and lists span names as spans:
        // the status code check and GET /spans' response schema are left out; everything else is checked.
        let runs: [[String]] = [
            ["--include-method", "GET", "--exclude-path", "/spans", "--exclude-checks", "status_code_conformance"],
            // Bodies that are schema-valid to schemathesis but not to Zipkin (lone surrogates, ports past 64 bits) are refused as Zipkin refuses them.
            ["--include-method", "POST", "--exclude-checks", "status_code_conformance,positive_data_acceptance"],
        ]
        for run in runs {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["schemathesis", "run", json.path, "--url", controlPlane.url + "/api/v2", "--max-examples", "40", "--seed", "1", "--no-color"] + run
            process.currentDirectoryURL = directory
            let output = Pipe()
            process.standardOutput = output
            process.standardError = output
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            let text = String(decoding: data, as: UTF8.self)
            #expect(process.terminationStatus == 0, "schemathesis \(run.joined(separator: " ")):\n\(text.suffix(4000))")
        }
        // Nothing schemathesis sent took the collector down.
        #expect(try WeftProcess.runTool("curl", ["-s", controlPlane.url + "/api/v2/services"]).contains("backend"))
    }

    /// The istio ConfigMap with `mesh` set to this text.
    static func meshConfigMap(_ mesh: String) -> String { AccessLogTests.configMap(mesh) }

    /// Sends requests through `client` until `until` holds for what the echo app saw (bounded): a
    /// changed MeshConfig reaches the sidecars asynchronously.
    /// `consecutive`: how many answers in a row must hold (a 1 % default sampling says yes by chance).
    static func waitForConfig(_ mesh: MeshHarness, client: String, timeout: TimeInterval = 20, consecutive: Int = 1, until: (String) -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        var held = 0
        while Date() < deadline {
            let (_, body) = try mesh.curl(through: client, "http://reviews:9080/probe")
            held = until(body) ? held + 1 : 0
            // One sidecar has the change: the push went to all of them; wait until every one ACKed it.
            if held >= consecutive, try mesh.controlPlane.proxies().allSatisfy({ $0.state == "SYNCED" }) { return }
            if held == 0 { Thread.sleep(forTimeInterval: 0.1) }
        }
        throw mesh.failure("the mesh config did not reach the sidecars within \(Int(timeout)) s")
    }

    /// The admin counters of the proxy at `podIP`.
    static func stats(_ podIP: String) throws -> [String: Int] {
        let text = try WeftProcess.runTool("curl", ["-s", "--noproxy", "*", "http://\(podIP):15000/stats"])
        var values: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, let value = Int(parts[1].trimmingCharacters(in: .whitespaces)) { values[String(parts[0])] = value }
        }
        return values
    }

    @Test("sampling and the collector from MeshConfig: 100 % to the user's own collector (weft tracing), none to the built-in one; x-b3-sampled: 0 honoured; 0 % still propagates context; a collector that refuses or hangs costs requests nothing, spans dropped and counted")
    func samplingAndCollectors() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        let collectorPort = try mesh.startZipkinCollector()
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: MeshFixtures.reviewsService).status == 0)
        try mesh.startEcho(name: "reviews-v1", labels: "app=reviews,version=v1")
        let client = try mesh.startClient()
        try mesh.waitForEndpoints(proxy: "client-", count: 1)
        let userCollector = "http://127.0.0.1:\(collectorPort)"
        func spans(_ api: String, _ id: String) throws -> [Span] { try Self.spans(api: api, id) }

        // Every request sampled, sent to the user's collector.
        let applied = try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: Self.meshConfigMap("""
        defaultConfig:
          tracing:
            sampling: 100.0
            zipkin: {address: "127.0.0.1:\(collectorPort)"}
        """))
        #expect(applied.status == 0, "\(applied.stderr)")
        try Self.waitForConfig(mesh, client: client, consecutive: 4) { $0.lowercased().contains("\"x-b3-sampled\": \"1\"") }
        let ids = (0..<3).map { _ in UUID().uuidString.lowercased() }
        for id in ids {
            let (status, body) = try mesh.curl(through: client, "http://reviews:9080/sampled", headers: ["x-request-id: \(id)"])
            #expect(status == 200 && body.lowercased().contains("x-b3-traceid"), "the app sees the context: \(body)")
        }
        for id in ids {
            let deadline = Date().addingTimeInterval(20)
            var found: [Span] = []
            while Date() < deadline {
                found = try spans(userCollector, id)
                if found.count == 2 { break }
                Thread.sleep(forTimeInterval: 0.1)
            }
            #expect(Set(found.compactMap { $0["kind"] as? String }) == ["CLIENT", "SERVER"] && Set(found.map(Self.service)) == ["client.default", "reviews.default"], "\(found)")
            #expect(try spans(mesh.controlPlane.url, id).isEmpty, "nothing at the built-in collector")
            if Self.zipkinAPIPresent { try Self.expectValid(found) }
        }
        // The caller said no: no span anywhere, and the decision travels on.
        let refused = UUID().uuidString.lowercased()
        let (_, refusedBody) = try mesh.curl(through: client, "http://reviews:9080/unsampled", headers: ["x-request-id: \(refused)", "x-b3-sampled: 0"])
        #expect(refusedBody.lowercased().contains("\"x-b3-sampled\": \"0\""), "\(refusedBody)")

        // 0 %: nothing recorded, yet the context still goes to the next hop.
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: Self.meshConfigMap("""
        defaultConfig:
          tracing:
            sampling: 0
            zipkin: {address: "127.0.0.1:\(collectorPort)"}
        """)).status == 0)
        try Self.waitForConfig(mesh, client: client) { $0.lowercased().contains("\"x-b3-sampled\": \"0\"") }
        let quiet = UUID().uuidString.lowercased()
        let (_, quietBody) = try mesh.curl(through: client, "http://reviews:9080/quiet", headers: ["x-request-id: \(quiet)"])
        #expect(quietBody.lowercased().contains("x-b3-traceid") && quietBody.lowercased().contains("x-b3-spanid"), "\(quietBody)")

        // Collectors that answer 500, refuse, or accept and never answer: every request still answers, spans are dropped and counted.
        let silent = try SilentListener()
        defer { silent.close() }
        let closedPort = try FreePort.find()
        let failingPort = try FreePort.find()
        let failing = Process()
        failing.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        failing.arguments = ["python3", "-c", """
        import http.server
        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("content-length") or 0))
                self.send_response(500); self.send_header("content-length", "0"); self.end_headers()
            def log_message(self, *args): pass
        http.server.HTTPServer(("127.0.0.1", \(failingPort)), H).serve_forever()
        """]
        try failing.run()
        mesh.adopt(failing)
        for (address, counter) in [("127.0.0.1:\(failingPort)", "tracing.zipkin.reports_dropped"), ("127.0.0.1:\(closedPort)", "tracing.zipkin.reports_failed"),
                                   ("127.0.0.1:\(silent.port)", "tracing.zipkin.reports_failed")] {
            #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: Self.meshConfigMap("""
            defaultConfig:
              tracing:
                sampling: 100.0
                zipkin: {address: "\(address)"}
            """)).status == 0)
            try Self.waitForConfig(mesh, client: client) { $0.lowercased().contains("\"x-b3-sampled\": \"1\"") }
            let before = try Self.stats(client)[counter] ?? 0
            for _ in 0..<5 {
                let (status, _) = try mesh.curl(through: client, "http://reviews:9080/despite-collector")
                #expect(status == 200)
            }
            // The exporter gives up on a silent collector after its 5 s timeout.
            let deadline = Date().addingTimeInterval(25)
            var after = before
            while Date() < deadline {
                after = try Self.stats(client)[counter] ?? 0
                if after > before { break }
                Thread.sleep(forTimeInterval: 0.1)
            }
            let stats = try Self.stats(client)
            #expect(after > before && (stats["tracing.zipkin.spans_dropped"] ?? 0) > 0, "\(address): \(stats)")
        }
    }

    @Test("a pod's proxy.istio.io/config annotation (its Deployment's template) sets that proxy's sampling over MeshConfig's; a malformed one is refused at validation")
    func proxyConfigAnnotation() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        let port = try mesh.startZipkinCollector()
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: MeshFixtures.reviewsService + "\n---\n" + Self.meshConfigMap("""
        defaultConfig:
          tracing:
            sampling: 0
            zipkin: {address: "127.0.0.1:\(port)"}
        """)).status == 0)
        try mesh.startEcho(name: "reviews-v1", labels: "app=reviews,version=v1")
        try mesh.waitForProxies(1)
        let reviews = try #require(try mesh.controlPlane.proxies().first { $0.id.hasPrefix("reviews-v1-") }?.podIP)
        // Called directly (no caller's decision): the server's sidecar decides.
        func call() throws -> String {
            let id = UUID().uuidString.lowercased()
            _ = try WeftProcess.runTool("curl", ["-s", "-o", "/dev/null", "--noproxy", "*", "-H", "x-request-id: \(id)", "http://\(reviews):9080/direct"])
            return id
        }
        let unsampled = try (0..<5).map { _ in try call() }
        let deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: reviews-v1}
        spec:
          selector: {matchLabels: {app: reviews, version: v1}}
          template:
            metadata:
              labels: {app: reviews, version: v1}
              annotations:
                proxy.istio.io/config: |
                  tracing:
                    sampling: 100
            spec:
              containers: [{name: reviews, image: reviews, ports: [{containerPort: 9080}]}]
        """
        let applied = try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: deployment)
        #expect(applied.status == 0, "\(applied.stderr)")
        var sampledID = ""
        let deadline = Date().addingTimeInterval(25)
        while Date() < deadline, sampledID.isEmpty {
            let id = try call()
            let inner = Date().addingTimeInterval(2)
            while Date() < inner {
                if try Self.spans(api: "http://127.0.0.1:\(port)", id).contains(where: { $0["kind"] as? String == "SERVER" }) { sampledID = id; break }
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
        #expect(!sampledID.isEmpty, "the annotation's 100 % did not reach reviews' sidecar")
        for id in unsampled { #expect(try Self.spans(api: "http://127.0.0.1:\(port)", id).isEmpty, "MeshConfig's 0 % held before") }

        let refused = try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: deployment.replacingOccurrences(of: "sampling: 100", with: "sampling: 500\n            bogus: 1"))
        let said = refused.stdout + refused.stderr
        #expect(refused.status != 0 && said.contains("annotations[\"proxy.istio.io/config\"]") && said.contains("unknown field \"bogus\"")
                && said.contains("sampling must be in the range 0..100"), "\(said)")
    }
}
