import Foundation
import Testing

/// MeshConfig `envoyOtelAls` providers (istio.io's OpenTelemetry access logging task) chosen by
/// the Telemetry API: each sidecar sends a record a request over OTLP/gRPC `LogsService/Export`,
/// decoded by the official `opentelemetry-proto` package (Tests/Fixtures/otlp_collector.py).
@Suite("OpenTelemetry access logs", .serialized, .enabled(if: OTLPCollectorFixture.present, "python's opentelemetry-proto is not installed"))
struct OpenTelemetryAccessLogTests {
    /// The log records of every logs export, each as protobuf's JSON with its attributes read out.
    static func records(_ file: URL) -> [(body: String, attributes: [String: String], record: [String: Any])] {
        OpenTelemetryTracingTests.exports(file).filter { $0["transport"] as? String == "grpc-logs" }.flatMap { export -> [[String: Any]] in
            let request = export["request"] as? [String: Any] ?? [:]
            return (request["resourceLogs"] as? [[String: Any]] ?? []).flatMap { ($0["scopeLogs"] as? [[String: Any]] ?? []) }
                .flatMap { $0["logRecords"] as? [[String: Any]] ?? [] }
        }.map { record in
            (((record["body"] as? [String: Any])?["stringValue"] as? String) ?? "", OpenTelemetryTracingTests.attributes(record["attributes"]), record)
        }
    }

    @Test("a record a request from each sidecar: the provider's text its body (Istio's default line without one), its labels attributes, the request's start its time, the trace's ids those of the spans")
    func records() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        let (grpcPort, _, received) = try OTLPCollectorFixture.start(mesh)
        defer { try? FileManager.default.removeItem(at: received) }
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: MeshFixtures.reviewsService + "\n---\n" + AccessLogTests.configMap("""
        extensionProviders:
        - name: otel-als
          envoyOtelAls:
            service: 127.0.0.1
            port: \(grpcPort)
            logFormat:
              text: "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %RESPONSE_CODE%"
              labels:
                request_id: "%REQ(X-REQUEST-ID)%"
                upstream: "%UPSTREAM_CLUSTER%"
        - name: otel-als-default
          envoyOtelAls: {service: 127.0.0.1, port: \(grpcPort)}
        - name: otel-tracing
          opentelemetry: {service: 127.0.0.1, port: \(grpcPort)}
        """)).status == 0)
        try mesh.startEcho(name: "reviews-v1", labels: "app=reviews,version=v1")
        let client = try mesh.startClient()
        try mesh.waitForEndpoints(proxy: "client-", count: 1)
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: TelemetryAPITests.telemetry("otel", namespace: "default", """
        accessLogging:
        - providers: [{name: otel-als}, {name: otel-als-default}]
        tracing:
        - providers: [{name: otel-tracing}]
          randomSamplingPercentage: 100
        """)).status == 0)

        var id = ""
        var mine: [(body: String, attributes: [String: String], record: [String: Any])] = []
        let sent = Date()
        try TelemetryAPITests.eventually(mesh, "both sidecars' records at the collector", timeout: 20, send: {
            id = UUID().uuidString.lowercased()
            _ = try mesh.curl(through: client, "http://reviews:9080/traced", headers: ["x-request-id: \(id)"])
        }) {
            let deadline = Date().addingTimeInterval(3)
            repeat {
                mine = Self.records(received).filter { $0.attributes["request_id"] == id }
                if mine.count >= 2 { return true }
                Thread.sleep(forTimeInterval: 0.1)
            } while Date() < deadline
            return false
        }
        #expect(mine.count == 2, "one record from each sidecar: \(mine.map(\.attributes))")
        #expect(mine.allSatisfy { $0.body == "GET /traced 200" }, "\(mine.map(\.body))")
        #expect(Set(mine.compactMap { $0.attributes["upstream"] }) == ["outbound|9080||reviews.default.svc.cluster.local", "inbound|9080||"], "\(mine.map(\.attributes))")
        for record in mine {
            let time = Double(record.record["timeUnixNano"] as? String ?? "") ?? 0
            #expect(abs(time / 1e9 - sent.timeIntervalSince1970) < 60, "the request's start, in nanoseconds: \(record.record)")
        }
        // The trace's ids: the same trace as the spans of this request, each record its sidecar's span.
        let spans = OpenTelemetryTracingTests.spans(OpenTelemetryTracingTests.exports(received), requestID: id)
        let traceIDs = Set(spans.map { OpenTelemetryTracingTests.hex($0["traceId"]) })
        #expect(traceIDs.count == 1 && mine.allSatisfy { traceIDs.contains(OpenTelemetryTracingTests.hex($0.record["traceId"])) }, "\(mine.map(\.record)) \(traceIDs)")
        #expect(Set(mine.map { OpenTelemetryTracingTests.hex($0.record["spanId"]) }) == Set(spans.map { OpenTelemetryTracingTests.hex($0["spanId"]) }))

        // The provider without a format: Istio's default text line, no attributes.
        let defaults = Self.records(received).filter { $0.body.contains(id) && $0.attributes.isEmpty }
        #expect(defaults.count >= 2 && defaults.allSatisfy { $0.body.hasPrefix("[") && $0.body.contains("\"GET /traced HTTP/1.1\" 200") }, "\(defaults.map(\.body))")
    }
}
