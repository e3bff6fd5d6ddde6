import Foundation
import Testing

/// Istio's standard metrics on the real sidecars of the mTLS mesh: sleep → httpbin in `foo`,
/// each side reporting on `podIP:15020/stats/prometheus` with the peer learnt from its sidecar.
@Suite("Istio standard metrics on the sidecars", .serialized,
       .enabled(if: BookinfoDemo.corpusPresent, "../shared/istio-corpus is absent: the httpbin and sleep samples come from it"))
struct StandardMetricsTests {
    @Test("5 × 200 and 3 × 503 from sleep to httpbin: reporter source at sleep and destination at httpbin, with workloads, principals, service, codes and mTLS as Istio labels them")
    func requestsBothReporters() throws {
        let setup = try MutualTLSMesh(namespaces: ["foo"])
        defer { setup.stop() }
        let httpbinPod = try #require(setup.httpbin["foo"]), sleepPod = try #require(setup.sleep["foo"])
        func scrape(_ pod: String) throws -> String { String(decoding: try Data(contentsOf: URL(string: "http://\(pod):15020/stats/prometheus")!), as: UTF8.self) }
        /// The values of the `istio_requests_total` lines whose labels include all of `labels`.
        func requests(_ text: String, _ labels: [String: String]) -> [Int] {
            text.split(separator: "\n").filter { line in line.hasPrefix("istio_requests_total{") && labels.allSatisfy { key, value in line.contains("\(key)=\"\(value)\"") } }
                .compactMap { line in line.split(separator: " ").last.flatMap { Int($0) } }
        }
        // The mesh's own readiness check sent one request already: counted from here on.
        let before = (client: requests(try scrape(sleepPod), ["reporter": "source"]).reduce(0, +), server: requests(try scrape(httpbinPod), ["reporter": "destination"]).reduce(0, +))
        for _ in 0..<5 { #expect(try setup.fromSidecar("foo", to: "foo", path: "status/200").status == 200) }
        for _ in 0..<3 { #expect(try setup.fromSidecar("foo", to: "foo", path: "status/503").status == 503) }
        // The client's sidecar records once the response has ended; the scrape waits for it (bounded).
        var client = "", server = ""
        let deadline = Date().addingTimeInterval(10)
        repeat {
            client = (try? scrape(sleepPod)) ?? ""
            server = (try? scrape(httpbinPod)) ?? ""
            // Each 503 is tried 3 times (Istio's default retry policy retries 503 twice): 5 + 3 × 3 at the server.
            if requests(client, ["reporter": "source"]).reduce(0, +) == before.client + 8 && requests(server, ["reporter": "destination"]).reduce(0, +) == before.server + 14 { break }
            Thread.sleep(forTimeInterval: 0.1)
        } while Date() < deadline
        let pair = ["source_workload": "sleep", "source_workload_namespace": "foo", "source_app": "sleep", "source_canonical_service": "sleep",
                    "source_principal": "spiffe://cluster.local/ns/foo/sa/sleep",
                    "destination_workload": "httpbin", "destination_workload_namespace": "foo", "destination_app": "httpbin", "destination_version": "v1",
                    "destination_canonical_service": "httpbin", "destination_canonical_revision": "v1",
                    "destination_principal": "spiffe://cluster.local/ns/foo/sa/httpbin", "destination_service": "httpbin.foo.svc.cluster.local",
                    "destination_service_name": "httpbin", "destination_service_namespace": "foo", "request_protocol": "http", "response_flags": "-"]
        #expect(requests(client, pair.merging(["reporter": "source", "response_code": "200", "connection_security_policy": "unknown"]) { $1 }) == [before.client + 5], "\(client)")
        // Retried twice and still 503: Envoy flags the answer URX (retry limit exceeded) at the source.
        #expect(requests(client, pair.merging(["reporter": "source", "response_code": "503", "response_flags": "URX"]) { $1 }) == [3], "one per request the app made")
        #expect(requests(server, pair.merging(["reporter": "destination", "response_code": "200", "connection_security_policy": "mutual_tls"]) { $1 }) == [before.server + 5], "\(server)")
        #expect(requests(server, pair.merging(["reporter": "destination", "response_code": "503"]) { $1 }) == [9], "one per attempt that reached the server")
        #expect(server.contains("# TYPE istio_request_duration_milliseconds histogram") && server.contains("istio_request_duration_milliseconds_bucket{")
                && server.contains("le=\"+Inf\"} 9") && server.contains("istio_response_bytes_count{"))
        // The metadata exchange stays between the sidecars: neither app sees the other's header.
        let echoed = try setup.fromSidecar("foo", to: "foo", path: "headers")
        #expect(echoed.status == 200 && !echoed.body.lowercased().contains("x-weft-peer-metadata"), "\(echoed.body)")
        let answered = try WeftProcess.runTool("curl", ["-s", "-D", "-", "-o", "/dev/null", "-x", "http://\(sleepPod):15001", "http://httpbin.foo:8000/status/200"])
        #expect(!answered.lowercased().contains("x-weft-peer-metadata"), "\(answered)")

        // Prometheus's own linter, where Prometheus is installed (.ci/run installs it).
        if let promtool = StandardMetricsTests.promtool {
            for exposition in [server, client] {
                let (status, output) = try StandardMetricsTests.run(promtool, ["check", "metrics"], stdin: PrometheusText.istioOnly(exposition))
                // It parses (exit 1 would be an error); the one lint (exit 3) allowed is about Istio's own
                // name, which Istio's proxies expose the same: milliseconds where Prometheus prefers seconds.
                let lints = output.split(separator: "\n").filter { !$0.isEmpty }
                let onlyIstiosUnit = lints.allSatisfy { $0 == #"istio_request_duration_milliseconds use base unit "seconds" instead of "milliseconds""# }
                #expect(status == 0 || (status == 3 && onlyIstiosUnit), "promtool check metrics (exit \(status)): \(output)")
            }
        }
    }

    @Test("a real Prometheus finds the proxies through the control plane's HTTP service discovery, scrapes their :15020 and the control plane's /metrics (pilot_xds, pushes, convergence, validation), and answers for the requests made")
    func prometheusScrapes() throws {
        guard PrometheusServer.binary != nil else {
            Issue.record("prometheus is not installed (.ci/run installs Debian's package)")
            return
        }
        let setup = try MutualTLSMesh(namespaces: ["foo"])
        defer { setup.stop() }
        let controlPlane = setup.mesh.controlPlane
        let targets = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(string: controlPlane.url + "/api/v1/prometheus/targets")!)) as? [[String: Any]])
        let httpbinPod = try #require(setup.httpbin["foo"])
        let wanted = "\(httpbinPod):15020"
        let httpbinTarget = targets.first { group in (group["targets"] as? [String] ?? []).contains(wanted) }
        let labels: [String: String] = httpbinTarget?["labels"] as? [String: String] ?? [:]
        #expect(labels["namespace"] == "foo" && labels["app"] == "httpbin" && labels["version"] == "v1" && labels["__metrics_path__"] == "/stats/prometheus"
                && labels["pod"]?.hasPrefix("httpbin-") == true, "\(targets)")

        let prometheus = try PrometheusServer(serviceDiscovery: controlPlane.url)
        defer { prometheus.stop() }
        for _ in 0..<4 { #expect(try setup.fromSidecar("foo", to: "foo", path: "status/200").status == 200) }
        let query = #"sum(istio_requests_total{reporter="destination",destination_service="httpbin.foo.svc.cluster.local",response_code="200",source_workload="sleep"})"#
        let scraped = String(decoding: try Data(contentsOf: URL(string: "http://\(httpbinPod):15020/stats/prometheus")!), as: UTF8.self)
        let expected = scraped.split(separator: "\n").filter { $0.hasPrefix("istio_requests_total{reporter=\"destination\"") && $0.contains("response_code=\"200\"") }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
        #expect(expected >= 4)
        // Prometheus sees the counter once it has discovered the target and scraped it (about 5 s here).
        try setup.waitUntil("Prometheus answers with the count the sidecar holds", timeout: 30) {
            (try? prometheus.query(query).first?.value) == expected
        }
        let up = try prometheus.query(#"up{job="weft-proxies",namespace="foo",app="httpbin"}"#)
        #expect(up.count == 1 && up.first?.value == 1 && up.first?.labels["pod"]?.hasPrefix("httpbin-") == true, "\(up)")

        // The control plane's own metrics, as istiod's: connected proxies, pushes, convergence, validation.
        let own = String(decoding: try Data(contentsOf: URL(string: controlPlane.url + "/metrics")!), as: UTF8.self)
        #expect(own.contains("pilot_xds 2\n") && own.contains("# TYPE pilot_proxy_convergence_time histogram") && own.contains("pilot_total_xds_rejects{type=\"lds\"} 0"), "\(own)")
        try setup.waitUntil("Prometheus has the control plane's metrics", timeout: 30) {
            (try? prometheus.query(#"pilot_xds{job="weft-control-plane"}"#).first?.value) == 2
                && ((try? prometheus.query(#"sum(pilot_xds_pushes{job="weft-control-plane"})"#).first?.value) ?? 0) >= 8
                && ((try? prometheus.query(#"pilot_proxy_convergence_time_count{job="weft-control-plane"}"#).first?.value) ?? 0) >= 8
                && ((try? prometheus.query(#"galley_validation_passed{job="weft-control-plane"}"#).first?.value) ?? 0) > 0
        }
        if let promtool = StandardMetricsTests.promtool {
            let (status, output) = try StandardMetricsTests.run(promtool, ["check", "metrics"], stdin: own)
            // It parses; istiod's own counter names lack `_total`, and keep it (dashboards query them so).
            let istiodNames = ["pilot_xds_pushes", "pilot_total_xds_rejects", "galley_validation_passed", "galley_validation_failed"]
            let lints = output.split(separator: "\n").filter { !$0.isEmpty }
            #expect(status == 0 || (status == 3 && lints.allSatisfy { line in istiodNames.contains { line == "\($0) counter metrics should have \"_total\" suffix" } }),
                    "promtool check metrics (exit \(status)): \(output)")
        }
    }

    static var promtool: String? {
        ["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func run(_ tool: String, _ arguments: [String], stdin: String) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        try? input.fileHandleForWriting.write(contentsOf: Data(stdin.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// The Istio families of an exposition (the Envoy-style counters beside them are not what is checked).
enum PrometheusText {
    static func istioOnly(_ text: String) -> String {
        text.split(separator: "\n").filter { $0.hasPrefix("istio_") || $0.hasPrefix("# TYPE istio_") || $0.hasPrefix("# HELP istio_") }.joined(separator: "\n") + "\n"
    }
}
