import Foundation
import Testing
import WeftDiscovery
import WeftModel
import WeftTelemetry
@testable import WeftProxy

/// A span batch as OTLP (the end-to-end test decodes what the proxies send with the official
/// opentelemetry-proto package; these check the conversion's edges).
@Suite("OTLP spans")
struct OTLPSpansTests {
    static func span(trace: String, id: String, parent: String?, service: String, tags: [(String, String)] = []) -> ZipkinSpan {
        var span = ZipkinSpan(traceID: trace, id: id, parentID: parent, name: "reviews:9080/*", kind: .SERVER, timestamp: 1_700_000_000_000_001, duration: 250)
        span.localEndpoint = .init(serviceName: service)
        span.tags = tags
        return span
    }

    @Test("ids as big-endian bytes (a 64-bit trace id in the low half), microseconds as nanoseconds, one resource a service, error=true an ERROR status")
    func converted() {
        let spans = [Self.span(trace: "463ac35c9f6413ad48485a3953bb6124", id: "a2fb4a1d1a96d312", parent: "0020000000000001", service: "reviews.default",
                               tags: [("http.status_code", "503"), ("error", "true")]),
                     Self.span(trace: "48485a3953bb6124", id: "00000000000000ff", parent: nil, service: "ratings.default"),
                     Self.span(trace: "463ac35c9f6413ad48485a3953bb6124", id: "b2fb4a1d1a96d312", parent: nil, service: "reviews.default")]
        let request = OTLPSpans.request(spans, environmentResource: false)
        #expect(request.resourceSpans.map { OTLPSpansTests.attributes($0.resource.attributes)["service.name"] } == ["reviews.default", "ratings.default"])
        let first = request.resourceSpans[0].scopeSpans[0].spans
        #expect(first.count == 2)
        #expect(first[0].traceID == Data([0x46, 0x3a, 0xc3, 0x5c, 0x9f, 0x64, 0x13, 0xad, 0x48, 0x48, 0x5a, 0x39, 0x53, 0xbb, 0x61, 0x24]))
        #expect(first[0].spanID == Data([0xa2, 0xfb, 0x4a, 0x1d, 0x1a, 0x96, 0xd3, 0x12]))
        #expect(first[0].parentSpanID == Data([0x00, 0x20, 0, 0, 0, 0, 0, 0x01]))
        #expect(first[1].parentSpanID.isEmpty, "a root span has no parent")
        #expect(first[0].kind == .server && first[0].status.code == .error && first[1].status.code == .unset)
        #expect(first[0].startTimeUnixNano == 1_700_000_000_000_001_000 && first[0].endTimeUnixNano == 1_700_000_000_000_251_000)
        #expect(Self.attributes(first[0].attributes) == ["http.status_code": "503", "error": "true"])
        let short = request.resourceSpans[1].scopeSpans[0].spans[0]
        #expect(short.traceID == Data(repeating: 0, count: 8) + Data([0x48, 0x48, 0x5a, 0x39, 0x53, 0xbb, 0x61, 0x24]))
    }

    @Test("OTEL_RESOURCE_ATTRIBUTES: comma-separated key=value, percent-decoded, malformed pairs skipped; the proxy's service.name wins")
    func environmentResource() {
        let spans = [Self.span(trace: "463ac35c9f6413ad48485a3953bb6124", id: "a2fb4a1d1a96d312", parent: nil, service: "reviews.default")]
        let environment = ["OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=prod, team=mesh%20team,broken,service.name=other,=x"]
        let request = OTLPSpans.request(spans, environmentResource: true, environment: environment)
        #expect(Self.attributes(request.resourceSpans[0].resource.attributes) == ["deployment.environment": "prod", "team": "mesh team", "service.name": "reviews.default"])
        let off = OTLPSpans.request(spans, environmentResource: false, environment: environment)
        #expect(Self.attributes(off.resourceSpans[0].resource.attributes) == ["service.name": "reviews.default"])
    }

    static func attributes(_ pairs: [OTLPKeyValue]) -> [String: String] {
        Dictionary(pairs.map { ($0.key, $0.value.stringValue) }, uniquingKeysWith: { first, _ in first })
    }
}

/// Access logs to an OpenTelemetry collector, made ready for requests (`PreparedAccessLog`).
@Suite("OTLP access log records")
struct OTLPAccessLogTests {
    @Test("a label whose format the proxy cannot read makes the configuration unusable (a NACK), naming the label; the body and labels stay as written, no newline added")
    func prepared() throws {
        let files = AccessLogFiles()
        let bad = AccessLogConfig(path: "otlp://127.0.0.1:4317", format: "%REQ(:METHOD)%",
                                  otlp: OTLPLogTarget(address: "127.0.0.1:4317", attributes: [.init(name: "bad", format: "%NO_SUCH_OPERATOR%")]))
        #expect(throws: PreparedAccessLog.Unusable.self) { try PreparedAccessLog(bad, files: files) }
        do {
            _ = try PreparedAccessLog(bad, files: files)
        } catch {
            #expect(error.description.contains("label bad"), "\(error)")
        }
        let good = AccessLogConfig(path: "otlp://127.0.0.1:4317", format: "%REQ(:METHOD)% %RESPONSE_CODE%",
                                   otlp: OTLPLogTarget(address: "127.0.0.1:4317", attributes: [.init(name: "code", format: "%RESPONSE_CODE%")]))
        let prepared = try PreparedAccessLog(good, files: files)
        guard case .collector(_, let attributes) = prepared.destination else { Issue.record("not a collector"); return }
        var entry = AccessLogEntry(startTime: .init(seconds: 1_700_000_000, nanoseconds: 5), method: "GET", path: "/", authority: "a", scheme: "http")
        entry.responseCode = 503
        let record = OTLPLogRecords.record(entry, body: prepared.format, attributes: attributes, trace: nil)
        #expect(record.body.stringValue == "GET 503")
        #expect(record.attributes.map { "\($0.key)=\($0.value.stringValue)" } == ["code=503"])
        #expect(record.timeUnixNano == 1_700_000_000_000_000_005 && record.traceID.isEmpty)
    }
}
