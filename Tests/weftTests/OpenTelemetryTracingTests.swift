import Foundation
import Testing

/// MeshConfig `opentelemetry` extension providers, as istio.io's OpenTelemetry tracing task
/// configures them, with the Telemetry API choosing one: the sidecars' spans reach an OTLP
/// collector over gRPC (`TraceService/Export`) or over HTTP (`POST /v1/traces`, protobuf), where the
/// official `opentelemetry-proto` package decodes them (Tests/Fixtures/otlp_collector.py).
@Suite("OpenTelemetry tracing", .serialized, .enabled(if: OTLPCollectorFixture.present, "python's opentelemetry-proto is not installed"))
struct OpenTelemetryTracingTests {
    typealias Export = [String: Any]

    /// Every export the collector recorded, in order.
    static func exports(_ file: URL) -> [Export] {
        ((try? String(contentsOf: file, encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? Export
        }
    }

    /// The spans of the exports (each with its resource's attributes as `resource`), whose
    /// `guid:x-request-id` attribute is `id`.
    static func spans(_ exports: [Export], requestID id: String) -> [[String: Any]] {
        exports.flatMap { export -> [[String: Any]] in
            let request = export["request"] as? [String: Any] ?? [:]
            return (request["resourceSpans"] as? [[String: Any]] ?? []).flatMap { resourceSpans -> [[String: Any]] in
                let resource = attributes((resourceSpans["resource"] as? [String: Any])?["attributes"])
                return (resourceSpans["scopeSpans"] as? [[String: Any]] ?? []).flatMap { $0["spans"] as? [[String: Any]] ?? [] }.map { span in
                    var span = span
                    span["resource"] = resource
                    span["transport"] = export["transport"]
                    return span
                }
            }
        }.filter { attributes($0["attributes"])["guid:x-request-id"] == id }
    }

    /// OTLP key-values (string values) as a dictionary.
    static func attributes(_ list: Any?) -> [String: String] {
        var out: [String: String] = [:]
        for pair in list as? [[String: Any]] ?? [] {
            if let key = pair["key"] as? String, let value = (pair["value"] as? [String: Any])?["stringValue"] as? String { out[key] = value }
        }
        return out
    }

    /// protobuf JSON's base64 bytes as lowercase hex.
    static func hex(_ base64: Any?) -> String {
        guard let text = base64 as? String, let data = Data(base64Encoded: text) else { return "" }
        return data.map { String(format: "%02x", $0) }.joined()
    }

    @Test("gRPC then HTTP providers: CLIENT and SERVER spans of one trace (the server's parent the client's span, the trace id the app saw), service.name and OTEL_RESOURCE_ATTRIBUTES on the resource, Istio's tags as attributes, a 5xx an ERROR status; HTTP at the provider's path with its headers")
    func grpcAndHTTP() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        let (grpcPort, httpPort, received) = try OTLPCollectorFixture.start(mesh)
        defer { try? FileManager.default.removeItem(at: received) }

        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: MeshFixtures.reviewsService + "\n---\n" + AccessLogTests.configMap("""
        extensionProviders:
        - name: otel-grpc
          opentelemetry:
            service: 127.0.0.1
            port: \(grpcPort)
            resource_detectors: {environment: {}}
        - name: otel-http
          opentelemetry:
            service: 127.0.0.1
            port: \(httpPort)
            http:
              path: /v1/traces
              timeout: 5s
              headers: [{name: x-tenant, value: weft}]
        """)).status == 0)
        try mesh.startEcho(name: "reviews-v1", labels: "app=reviews,version=v1", environment: ["OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=test,team=mesh%20team"])
        let client = try mesh.startClient()
        try mesh.waitForEndpoints(proxy: "client-", count: 1)

        /// Requests until both spans of one reach the collector over `transport` (while the change
        /// spreads, a sidecar still on the old settings reports to the old provider, as Envoy would).
        func traced(provider: String, transport: String, path: String = "/traced") throws -> (spans: [[String: Any]], seen: [String: String]) {
            #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: TelemetryAPITests.telemetry("trace-all", namespace: "default", """
            tracing:
            - providers: [{name: \(provider)}]
              randomSamplingPercentage: 100
            """)).status == 0)
            var id = "", seen: [String: String] = [:], spans: [[String: Any]] = []
            try TelemetryAPITests.eventually(mesh, "both spans at the \(provider) collector", timeout: 20, send: {
                id = UUID().uuidString.lowercased()
                let answer = try mesh.curl(through: client, "http://reviews:9080\(path)", headers: ["x-request-id: \(id)"])
                let echoed = (try? JSONSerialization.jsonObject(with: Data(answer.1.utf8))) as? [String: Any]
                seen = echoed?["headers"] as? [String: String] ?? [:]
            }) {
                let deadline = Date().addingTimeInterval(3)
                repeat {
                    spans = Self.spans(Self.exports(received), requestID: id)
                    if spans.count >= 2 { return spans.allSatisfy { $0["transport"] as? String == transport } }
                    Thread.sleep(forTimeInterval: 0.1)
                } while Date() < deadline
                return false
            }
            return (spans, seen)
        }

        let (spans, seen) = try traced(provider: "otel-grpc", transport: "grpc")
        let client_ = try #require(spans.first { $0["kind"] as? String == "SPAN_KIND_CLIENT" }, "\(spans)")
        let server = try #require(spans.first { $0["kind"] as? String == "SPAN_KIND_SERVER" }, "\(spans)")
        #expect(spans.allSatisfy { $0["transport"] as? String == "grpc" })
        #expect(Self.hex(client_["traceId"]) == Self.hex(server["traceId"]) && Self.hex(client_["traceId"]).count == 32)
        #expect(Self.hex(server["parentSpanId"]) == Self.hex(client_["spanId"]), "the server's span is the client's child")
        #expect(seen["x-b3-traceid"].map { Self.hex(client_["traceId"]).hasSuffix($0) } == true, "the trace id the app saw: \(seen)")
        #expect(seen["x-b3-spanid"] == Self.hex(server["spanId"]) || seen["x-b3-parentspanid"] == Self.hex(server["spanId"]) || seen["x-b3-spanid"] == Self.hex(client_["spanId"]),
                "the propagated span is one of the two: \(seen)")
        #expect((client_["resource"] as? [String: String])?["service.name"] == "client.default")
        let serverResource = server["resource"] as? [String: String] ?? [:]
        #expect(serverResource["service.name"] == "reviews.default")
        #expect(serverResource["deployment.environment"] == "test" && serverResource["team"] == "mesh team", "the environment detector: \(serverResource)")
        let tags = Self.attributes(server["attributes"])
        #expect(tags["http.method"] == "GET" && tags["http.status_code"] == "200" && tags["upstream_cluster"]?.hasPrefix("inbound|9080") == true, "\(tags)")
        #expect(server["name"] as? String == "reviews.default.svc.cluster.local:9080/*", "\(server)")
        #expect(Int(server["startTimeUnixNano"] as? String ?? "") ?? 0 > 1_600_000_000_000_000_000, "nanoseconds since the epoch")
        #expect((Int(server["endTimeUnixNano"] as? String ?? "") ?? 0) >= (Int(server["startTimeUnixNano"] as? String ?? "") ?? 0))

        let failed = try traced(provider: "otel-grpc", transport: "grpc", path: "/status/503")
        let failedServer = failed.spans.first { $0["kind"] as? String == "SPAN_KIND_SERVER" }
        #expect((failedServer?["status"] as? [String: Any])?["code"] as? String == "STATUS_CODE_ERROR", "\(failed.spans)")

        let overHTTP = try traced(provider: "otel-http", transport: "http")
        #expect(overHTTP.spans.count >= 2 && overHTTP.spans.allSatisfy { $0["transport"] as? String == "http" }, "\(overHTTP.spans)")
        let posted = Self.exports(received).filter { $0["transport"] as? String == "http" }
        #expect(posted.allSatisfy { export in
            let headers = export["metadata"] as? [String: String] ?? [:]
            return export["path"] as? String == "/v1/traces" && headers["content-type"] == "application/x-protobuf" && headers["x-tenant"] == "weft" && export["error"] == nil
        }, "\(posted.prefix(2))")
    }
}

/// Tests/Fixtures/otlp_collector.py: what it needs, and starting it.
enum OTLPCollectorFixture {
    static var present: Bool {
        (try? TracingTests.python(["-c", "import opentelemetry.proto.collector.trace.v1.trace_service_pb2_grpc, grpc"], input: Data()).status) == 0
    }

    /// Starts the collector with the mesh's workloads: its gRPC and HTTP ports and the file its exports go to.
    static func start(_ mesh: MeshHarness) throws -> (grpcPort: Int, httpPort: Int, received: URL) {
        let grpcPort = try FreePort.find(), httpPort = try FreePort.find()
        let received = FileManager.default.temporaryDirectory.appendingPathComponent("weft-otlp-\(UUID().uuidString).jsonl")
        let collector = Process()
        collector.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        collector.arguments = ["python3", MeshHarness.fixtures.appendingPathComponent("otlp_collector.py").path, String(grpcPort), String(httpPort), received.path]
        try mesh.captureOutput(of: collector, name: "otlp-collector")
        try collector.run()
        mesh.adopt(collector)
        try mesh.waitUntil("the OTLP collector listens") { !LoopbackSocket.canBind(grpcPort) && !LoopbackSocket.canBind(httpPort) }
        return (grpcPort, httpPort, received)
    }
}
