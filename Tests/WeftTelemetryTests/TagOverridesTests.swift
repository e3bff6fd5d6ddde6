import Testing
import WeftTelemetry

@Suite("Telemetry API tag overrides")
struct TagOverridesTests {
    static func series(_ version: String, custom: [String] = []) -> RequestSeries {
        var series = RequestSeries(reporter: .source, source: WorkloadMetadata(workload: "client", namespace: "default", labels: ["app": "client"]), sourcePrincipal: "unknown",
                                   destination: WorkloadMetadata(workload: "reviews-\(version)", namespace: "default", labels: ["app": "reviews", "version": version]),
                                   destinationPrincipal: "unknown", destinationService: "reviews.default.svc.cluster.local", destinationServiceName: "reviews",
                                   destinationServiceNamespace: "default", responseCode: 200, connectionSecurityPolicy: "unknown")
        series.custom = custom
        return series
    }

    @Test("expressions Istio users write: quoted literals, request attributes, a header by name; anything else reads unknown")
    func expressions() {
        let request = TagExpression.Request(host: "reviews:9080", method: "GET", path: "/a/b?c=1", scheme: "http", protocolName: "HTTP/1.1") { $0 == "x-team" ? "blue" : nil }
        #expect(TagExpression(parsing: "'bookinfo'").value(request, status: 200) == "bookinfo")
        #expect(TagExpression(parsing: " request.host ").value(request, status: 200) == "reviews:9080")
        #expect(TagExpression(parsing: "request.url_path").value(request, status: 200) == "/a/b")
        #expect(TagExpression(parsing: "request.path").value(request, status: 200) == "/a/b?c=1")
        #expect(TagExpression(parsing: "request.headers['X-Team']").value(request, status: 200) == "blue")
        #expect(TagExpression(parsing: "request.headers[\"missing\"]").value(request, status: 200) == "unknown")
        #expect(TagExpression(parsing: "response.code").value(request, status: 503) == "503")
        #expect(TagExpression(parsing: "upstream_peer.labels['app'].value").value(request, status: 200) == "unknown")
    }

    @Test("a removed label merges the series it told apart; an added one takes its request value; overrides of one metric leave the others as they were")
    func exposition() {
        var metrics = RequestMetrics()
        for version in ["v1", "v2"] {
            metrics.record(Self.series(version, custom: ["blue"]), durationMilliseconds: 3, requestBytes: 0, responseBytes: 10)
        }
        let overrides = TagOverrides([
            .init(metric: "istio_requests_total", tag: "destination_version", value: nil),
            .init(metric: "istio_requests_total", tag: "destination_workload", value: nil),
            .init(metric: "istio_requests_total", tag: "destination_canonical_revision", value: nil),
            .init(metric: "istio_requests_total", tag: "team", value: TagExpression(parsing: "request.headers['x-team']")),
            .init(metric: nil, tag: "mesh", value: TagExpression(parsing: "'prod'")),
        ])
        let text = PrometheusExposition.render(metrics, overrides: [.source: overrides])
        let counts = text.split(separator: "\n").filter { $0.hasPrefix("istio_requests_total{") }
        #expect(counts.count == 1 && counts[0].hasSuffix(" 2") && counts[0].contains("team=\"blue\"") && counts[0].contains("mesh=\"prod\""), "\(counts)")
        let durations = text.split(separator: "\n").filter { $0.hasPrefix("istio_request_duration_milliseconds_count{") }
        #expect(durations.count == 2 && durations.allSatisfy { !$0.contains("team=") && $0.contains("mesh=\"prod\"") }, "\(durations)")
        #expect(PrometheusExposition.render(metrics, overrides: [.destination: overrides]) == PrometheusExposition.render(metrics), "another reporter's overrides do nothing")
    }
}
