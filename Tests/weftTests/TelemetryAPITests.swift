import Foundation
import Testing
import WeftModel

/// The Telemetry API (`telemetry.istio.io`) on real sidecars: mesh, namespace and workload scope,
/// access-log providers, `disabled` and filters, tracing providers and sampling, metric overrides.
@Suite("Telemetry API", .serialized)
struct TelemetryAPITests {
    static func telemetry(_ name: String, namespace: String, _ spec: String) -> String {
        "apiVersion: telemetry.istio.io/v1\nkind: Telemetry\nmetadata: {name: \(name), namespace: \(namespace)}\nspec:\n"
            + spec.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n") + "\n"
    }

    /// Sends requests until `condition` holds (bounded): a change reaches the sidecars asynchronously.
    static func eventually(_ mesh: MeshHarness, _ what: String, timeout: TimeInterval = 20, send: () throws -> Void, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            try send()
            if try condition() { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw mesh.failure("\(what) within \(Int(timeout)) s")
    }

    /// Istio's families of a proxy's exposition (the Envoy-style counters left out).
    static func metrics(_ podIP: String) throws -> String {
        try WeftProcess.runTool("curl", ["-s", "--noproxy", "*", "http://\(podIP):15020/stats/prometheus"])
            .split(separator: "\n").filter { $0.hasPrefix("istio_") || $0.hasPrefix("# HELP istio_") }.joined(separator: "\n")
    }

    @Test("access logs: the mesh-wide envoy provider logs both sides, a namespace filter keeps only errors, a workload's disabled turns its sidecar's log off; an unsupported filter is refused at validation")
    func accessLogging() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("weft-telemetry-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: MeshFixtures.reviewsService).status == 0)
        let serverLog = directory.appendingPathComponent("reviews.log"), clientLog = directory.appendingPathComponent("client.log")
        try mesh.startEcho(name: "reviews-v1", labels: "app=reviews,version=v1", runArguments: ["--proxy-log", serverLog.path])
        let client = try mesh.startClient(environment: ["TMPDIR": directory.path])
        let clientFile = directory.appendingPathComponent("weft/default/client/istio-proxy.log")
        try mesh.waitForEndpoints(proxy: "client-", count: 1)
        _ = clientLog
        func lines(_ file: URL) -> [String] { AccessLogTests.lines(file) }
        func get(_ path: String) throws { _ = try mesh.curl(through: client, "http://reviews:9080\(path)") }

        // Mesh-wide: Istio's built-in envoy provider, Istio's default TEXT format, on both sides.
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: Self.telemetry("mesh-default", namespace: "istio-system", "accessLogging:\n- providers: [{name: envoy}]")).status == 0)
        try Self.eventually(mesh, "both sidecars logging", send: { try get("/mesh") }) {
            lines(clientFile).contains { $0.contains("\"GET /mesh HTTP/1.1\" 200") } && lines(serverLog).contains { $0.contains("\"GET /mesh HTTP/1.1\" 200") }
        }

        // Namespace: only errors.
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: Self.telemetry("errors-only", namespace: "default",
                                                                                       "accessLogging:\n- filter: {expression: \"response.code >= 400\"}")).status == 0)
        try Self.eventually(mesh, "the filter applied", send: { try get("/status/503"); try get("/ok-\(UUID().uuidString.prefix(4))") }) {
            lines(clientFile).contains { $0.contains("/status/503") }
                && lines(clientFile).suffix(3).allSatisfy { !$0.contains("/ok-") }
        }
        let beforeOK = lines(clientFile).count
        try get("/fine")
        try get("/status/404")
        try Self.eventually(mesh, "the 404 logged", send: {}) { lines(clientFile).count > beforeOK }
        let newer = lines(clientFile).dropFirst(beforeOK)
        #expect(newer.allSatisfy { !$0.contains("/fine") } && newer.contains { $0.contains("/status/404") }, "\(newer)")

        // Workload: reviews' sidecar stops logging; the client's goes on.
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: Self.telemetry("reviews-quiet", namespace: "default",
                                                                                       "selector: {matchLabels: {app: reviews}}\naccessLogging:\n- disabled: true")).status == 0)
        // Applied once the control plane sent reviews' sidecar inbound listeners without a log and the sidecar ACKed them.
        try Self.eventually(mesh, "reviews' log turned off", send: {}) {
            guard let proxy = try mesh.controlPlane.proxies().first(where: { $0.id.hasPrefix("reviews-v1-") }), proxy.state == "SYNCED" else { return false }
            return try mesh.controlPlane.configuration(of: proxy.id).listeners.filter { $0.direction == .inbound }.allSatisfy { $0.accessLogs.isEmpty }
        }
        for _ in 0..<3 { try get("/status/502") }
        try Self.eventually(mesh, "the client's 502s", send: {}) { lines(clientFile).filter { $0.contains("/status/502") }.count == 3 }
        #expect(!lines(serverLog).contains { $0.contains("/status/502") }, "\(lines(serverLog).suffix(3))")

        let refused = try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: Self.telemetry("bad-filter", namespace: "default",
                                                                                           "accessLogging:\n- filter: {expression: \"request.headers.map(h, h)\"}"))
        #expect(refused.status != 0 && refused.stderr.contains("spec.accessLogging[0].filter.expression"), "\(refused.stderr)")
    }

    @Test("tracing: a namespace's randomSamplingPercentage and a MeshConfig zipkin provider send every span to that collector; metrics: a workload's ALL_METRICS disabled and the client's REQUEST_SIZE disabled")
    func tracingAndMetrics() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        let port = try mesh.startZipkinCollector()
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: MeshFixtures.reviewsService + "\n---\n" + AccessLogTests.configMap("""
        extensionProviders:
        - name: local-zipkin
          zipkin: {service: 127.0.0.1, port: \(port)}
        """)).status == 0)
        try mesh.startEcho(name: "reviews-v1", labels: "app=reviews,version=v1")
        let client = try mesh.startClient()
        try mesh.waitForEndpoints(proxy: "client-", count: 1)
        let reviews = try #require(try mesh.controlPlane.proxies().first { $0.id.hasPrefix("reviews-v1-") }?.podIP)

        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: Self.telemetry("trace-all", namespace: "default", """
        tracing:
        - providers: [{name: local-zipkin}]
          randomSamplingPercentage: 100
          customTags:
            team: {literal: {value: bookinfo}}
        """)).status == 0)
        // A fresh request id each time: while the change spreads, a sidecar still on the old settings
        // honours the caller's decision and reports to the old collector, as Envoy would.
        var id = ""
        var spans: [[String: Any]] = []
        try Self.eventually(mesh, "every span at the provider's collector", timeout: 15, send: {
            id = UUID().uuidString.lowercased()
            _ = try mesh.curl(through: client, "http://reviews:9080/traced", headers: ["x-request-id: \(id)"])
        }) {
            let deadline = Date().addingTimeInterval(3)
            repeat {
                spans = try TracingTests.spans(api: "http://127.0.0.1:\(port)", id)
                if spans.count >= 2 { return true }
                Thread.sleep(forTimeInterval: 0.1)
            } while Date() < deadline
            return false
        }
        #expect(spans.allSatisfy { TracingTests.tags($0)["team"] == "bookinfo" }, "\(spans)")
        let builtIn = try TracingTests.spans(api: mesh.controlPlane.url, id)
        #expect(builtIn.isEmpty, "\(builtIn)")

        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: Self.telemetry("reviews-no-metrics", namespace: "default", """
        selector: {matchLabels: {app: reviews}}
        metrics:
        - overrides: [{match: {metric: ALL_METRICS}, disabled: true}]
        """) + "---\n" + Self.telemetry("client-no-request-size", namespace: "default", """
        selector: {matchLabels: {app: client}}
        metrics:
        - overrides: [{match: {metric: REQUEST_SIZE, mode: CLIENT}, disabled: true}]
        """)).status == 0)
        // Counted before the change, reviews' series stay; none is added after it.
        try Self.eventually(mesh, "metric overrides applied", send: { _ = try mesh.curl(through: client, "http://reviews:9080/counted") }) {
            guard try !Self.metrics(client).contains("istio_request_bytes"),
                  let proxy = try mesh.controlPlane.proxies().first(where: { $0.id.hasPrefix("reviews-v1-") }), proxy.state == "SYNCED" else { return false }
            return try mesh.controlPlane.configuration(of: proxy.id).listeners.filter { $0.direction == .inbound }.allSatisfy { $0.metrics?.disabled == true }
        }
        let before = try Self.metrics(reviews)
        for _ in 0..<3 { _ = try mesh.curl(through: client, "http://reviews:9080/after") }
        let clientMetrics = try Self.metrics(client)
        #expect(clientMetrics.contains("istio_requests_total{reporter=\"source\"") && clientMetrics.contains("istio_response_bytes_bucket"), "\(clientMetrics.prefix(500))")
        #expect(try Self.metrics(reviews) == before, "reviews' sidecar recorded nothing more")
    }

    @Test("metrics tagOverrides: on the client's REQUEST_COUNT a label added from request.host and one from a header, destination_canonical_revision removed (its series summed), response_code replaced by a literal; the other metrics keep Istio's labels")
    func tagOverrides() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: MeshFixtures.reviewsService).status == 0)
        try mesh.startEcho(name: "reviews-v1", labels: "app=reviews,version=v1")
        try mesh.startEcho(name: "reviews-v2", labels: "app=reviews,version=v2")
        let client = try mesh.startClient()
        try mesh.waitForEndpoints(proxy: "client-", count: 2)
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: Self.telemetry("client-tags", namespace: "default", """
        selector: {matchLabels: {app: client}}
        metrics:
        - overrides:
          - match: {metric: REQUEST_COUNT, mode: CLIENT}
            tagOverrides:
              request_host: {value: "request.host"}
              team: {value: "request.headers['x-team']"}
              destination_canonical_revision: {operation: REMOVE}
              destination_version: {operation: REMOVE}
              destination_workload: {operation: REMOVE}
              response_code: {value: "'any'"}
        """)).status == 0)
        try Self.eventually(mesh, "the overrides reach the client", send: { _ = try mesh.curl(through: client, "http://reviews:9080/warm", headers: ["x-team: warm"]) }) {
            try Self.metrics(client).contains("team=\"warm\"")
        }
        for _ in 0..<10 { _ = try mesh.curl(through: client, "http://reviews:9080/tagged", headers: ["x-team: blue"]) }
        let text = try Self.metrics(client)
        let counted = text.split(separator: "\n").filter { $0.hasPrefix("istio_requests_total{") && $0.contains("team=\"blue\"") }
        // Both versions answered; without the version labels their series are one.
        #expect(counted.count == 1 && counted.first?.hasSuffix(" 10") == true, "\(counted)")
        let line = String(counted.first ?? "")
        #expect(line.contains("request_host=\"reviews:9080\"") && line.contains("response_code=\"any\"") && !line.contains("destination_version=")
                && !line.contains("destination_canonical_revision=") && !line.contains("destination_workload="), "\(line)")
        let duration = text.split(separator: "\n").filter { $0.hasPrefix("istio_request_duration_milliseconds_count{") }
        #expect(!duration.isEmpty && duration.allSatisfy { $0.contains("destination_version=") && !$0.contains("team=") }, "other metrics untouched: \(duration)")
        let check = try WeftProcess.runTool("sh", ["-c", "curl -s --noproxy '*' http://\(client):15020/stats/prometheus | grep -v '^envoy_' | grep -v '^# TYPE envoy_' | promtool check metrics 2>&1; echo status=$?"])
        #expect(!check.contains("not found") && !check.contains("error") && !check.contains("duplicate"), "the exposition stays valid: \(check)")
    }
}
