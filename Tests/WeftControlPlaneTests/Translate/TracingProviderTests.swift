import Testing
import WeftAPI
import WeftModel
@testable import WeftControlPlane

/// MeshConfig extension providers as the spans' collector (`TelemetryTranslator.spanCollector`):
/// Zipkin, and OpenTelemetry over gRPC (no `http`) or HTTP, with what each carries.
struct TracingProviderTests {
    static func collector(_ providers: String, _ name: String) throws -> SpanCollector? {
        let mesh = try MeshConfigDocument.decode("extensionProviders:\n" + providers)
        return TelemetryTranslator.spanCollector(provider: name, meshConfig: mesh)
    }

    @Test("zipkin: service:port, Zipkin's protocol; opentelemetry without http: gRPC, 4317 unless a port is given, metadata and timeout; the environment detector")
    func zipkinAndGRPC() throws {
        #expect(try Self.collector("- name: z\n  zipkin: {service: zipkin.istio-system.svc.cluster.local, port: 9411}\n", "z")
                == SpanCollector.zipkin("zipkin.istio-system.svc.cluster.local:9411"))
        let grpc = try #require(try Self.collector("""
            - name: otel
              opentelemetry:
                service: opentelemetry-collector.observability.svc.cluster.local
                port: 4317
                grpc: {timeout: 3s, initialMetadata: [{name: Authorization, value: Bearer x}]}
                resource_detectors: {environment: {}}
            """, "otel"))
        #expect(grpc.protocol == .otlpGRPC && grpc.address == "opentelemetry-collector.observability.svc.cluster.local:4317")
        #expect(grpc.headers == [SpanCollector.Header(name: "authorization", value: "Bearer x")] && grpc.timeoutMs == 3000 && grpc.environmentResource)
        let bare = try #require(try Self.collector("- name: o\n  opentelemetry: {service: otel.observability}\n", "o"))
        #expect(bare.address == "otel.observability:4317" && !bare.environmentResource && bare.timeoutMs == nil)
    }

    @Test("opentelemetry with http: OTLP over HTTP at its path (/v1/traces when it names none), with its headers; no service: no collector")
    func http() throws {
        let posted = try #require(try Self.collector("""
            - name: otel-http
              opentelemetry:
                service: otel.observability.svc.cluster.local
                port: 4318
                http: {path: v1/traces, timeout: 250ms, headers: [{name: x-tenant, value: weft}]}
            """, "otel-http"))
        #expect(posted.protocol == .otlpHTTP && posted.address == "otel.observability.svc.cluster.local:4318")
        #expect(posted.path == "/v1/traces" && posted.timeoutMs == 250 && posted.headers == [SpanCollector.Header(name: "x-tenant", value: "weft")])
        let defaultPath = try #require(try Self.collector("- name: h\n  opentelemetry: {service: otel, port: 4318, http: {}}\n", "h"))
        #expect(defaultPath.protocol == .otlpHTTP && defaultPath.path == "/v1/traces")
        #expect(try Self.collector("- name: h\n  opentelemetry: {port: 4318}\n", "h") == nil)
        #expect(try Self.collector("- name: h\n  opentelemetry: {service: otel, port: 4318}\n", "other") == nil)
    }
}
