import Foundation
import Testing
import WeftTelemetry

/// Headers given as a plain dictionary (lower-cased names).
struct TestHeaders: AccessLogHeaders {
    var values: [String: String]
    func accessLogValue(_ lowercasedName: String) -> String? { values[lowercasedName] }
}

/// Envoy's command operators, the two encodings and CEL filters, one step at a time.
@Suite("Access log formats")
struct AccessLogFormatTests {
    /// 2016-04-15T20:17:00.310Z, Envoy's documented example instant.
    static let instant = StartTimeFormat.Instant(seconds: 1_460_751_420, nanoseconds: 310_123_456)

    static func entry() -> AccessLogEntry {
        var entry = AccessLogEntry(startTime: instant, method: "GET", path: "/reviews/0", authority: "reviews:9080", scheme: "http")
        entry.requestHeaders = TestHeaders(values: ["user-agent": "curl/8.5.0", "x-request-id": "2b7a1c3e-0000-4000-8000-000000000001", "x-forwarded-for": "10.0.0.1"])
        entry.responseHeaders = TestHeaders(values: ["content-type": "application/json", "x-envoy-upstream-service-time": "3"])
        entry.responseCode = 200
        entry.responseCodeDetails = "via_upstream"
        entry.bytesReceived = 0
        entry.bytesSent = 295
        entry.durationMs = 4
        entry.upstreamHost = "127.0.0.9:9080"
        entry.upstreamCluster = "outbound|9080|v1|reviews.default.svc.cluster.local"
        entry.upstreamLocalAddress = "127.0.0.5:40122"
        entry.downstreamRemoteAddress = "127.0.0.5:51000"
        entry.downstreamLocalAddress = "127.0.0.5:15001"
        entry.routeName = "reviews-v1"
        return entry
    }

    /// The seed's JSON format: Envoy's operators, one per field.
    static let seedJSON = """
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

    static func object(_ line: String) throws -> [String: Any] {
        #expect(line.hasSuffix("\n") && line.dropLast().firstIndex(of: "\n") == nil, "one line per request")
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test("the seed's JSON format: numbers are numbers, strings strings, unavailable null")
    func seedJSONFormat() throws {
        let format = try AccessLogFormat.mesh(encoding: "JSON", format: Self.seedJSON)
        var entry = Self.entry()
        entry.upstreamLocalAddress = nil
        let object = try Self.object(AccessLogFormatter.line(entry, format: format))
        #expect(object["start_time"] as? String == "2016-04-15T20:17:00.310Z")
        #expect(object["method"] as? String == "GET" && object["path"] as? String == "/reviews/0" && object["protocol"] as? String == "HTTP/1.1")
        #expect(object["response_code"] as? Int == 200 && object["duration"] as? Int == 4 && object["bytes_sent"] as? Int == 295 && object["bytes_received"] as? Int == 0)
        #expect(object["user_agent"] as? String == "curl/8.5.0" && object["authority"] as? String == "reviews:9080")
        #expect(object["upstream_cluster"] as? String == "outbound|9080|v1|reviews.default.svc.cluster.local")
        #expect(object["upstream_host"] as? String == "127.0.0.9:9080")
        #expect(object["upstream_local_address"] is NSNull, "unavailable is null in JSON")
        #expect(object.count == 14)
    }

    @Test("Istio's default TEXT format, and an original path shown over the rewritten one")
    func istioDefaultText() throws {
        let format = try AccessLogFormat.mesh(encoding: nil, format: nil)
        var entry = Self.entry()
        entry.originalPath = "/api/reviews/0"
        let line = AccessLogFormatter.line(entry, format: format)
        #expect(line.hasPrefix("[2016-04-15T20:17:00.310Z] \"GET /api/reviews/0 HTTP/1.1\" 200 - via_upstream - \"-\" 0 295 4 3 \"10.0.0.1\" \"curl/8.5.0\""))
        #expect(line.contains("\"reviews:9080\" \"127.0.0.9:9080\" outbound|9080|v1|reviews.default.svc.cluster.local 127.0.0.5:40122 127.0.0.5:15001 127.0.0.5:51000 - reviews-v1\n"))
    }

    @Test("text: unavailable is '-', :N truncates, a format without a newline gets one, START_TIME(FMT) is strftime")
    func textOperators() throws {
        var entry = Self.entry()
        entry.upstreamTransportFailureReason = nil
        let format = try AccessLogFormat.text("%REQ(USER-AGENT):4% %RESP(CONTENT-TYPE)% %RESP(X-MISSING)% %UPSTREAM_TRANSPORT_FAILURE_REASON% %START_TIME(%Y/%m/%d %H:%M:%S.%3f)% %RESPONSE_FLAGS% 100%%")
        #expect(AccessLogFormatter.line(entry, format: format) == "curl application/json - - 2016/04/15 20:17:00.310 - 100%\n")
    }

    @Test("an address read from X-Forwarded-For (a gateway's trusted proxies) is the remote address, the peer the direct one; without one both are the peer")
    func directRemoteAddress() throws {
        var entry = Self.entry()
        let format = try AccessLogFormat.text("%DOWNSTREAM_REMOTE_ADDRESS% %DOWNSTREAM_DIRECT_REMOTE_ADDRESS% %DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT% %DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%")
        entry.downstreamRemoteAddress = "127.0.0.1:5555"
        #expect(AccessLogFormatter.line(entry, format: format) == "127.0.0.1:5555 127.0.0.1:5555 127.0.0.1 127.0.0.1\n")
        entry.downstreamDirectRemoteAddress = "127.0.0.1:5555"
        entry.downstreamRemoteAddress = "72.9.5.6:0"
        #expect(AccessLogFormatter.line(entry, format: format) == "72.9.5.6:0 127.0.0.1:5555 127.0.0.1 72.9.5.6\n")
    }

    @Test("Envoy's default start time, written as its bytes (also straight into a line), is the strftime form of it for instants across four centuries: leap days, year ends, the last millisecond of a second")
    func defaultStartTime() {
        var seconds: [Int64] = [0, 951_782_400, 951_868_799, 1_460_751_420, 1_704_067_199, 1_709_164_800, 4_102_444_800, 253_402_300_799, -1, -2_208_988_800]
        var state: UInt64 = 12345
        for _ in 0..<2000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            seconds.append(Int64(state >> 30) % 253_402_300_799 - 2_000_000_000)
        }
        let strftime = StartTimeFormat("%Y-%m-%dT%H:%M:%S.%3fZ")
        for second in seconds {
            for nanoseconds: Int32 in [0, 1_000_000, 310_123_456, 999_999_999] {
                let instant = StartTimeFormat.Instant(seconds: second, nanoseconds: nanoseconds)
                #expect(StartTimeFormat(nil).render(instant) == strftime.render(instant), "\(second) \(nanoseconds)")
                // As a line writes it: appended as bytes (quoted for JSON) after what is there; where
                // nothing is appended (a year outside 1000...9999) the line writes the String form.
                var out: [UInt8] = Array("x".utf8)
                if StartTimeFormat(nil).appendDefault(instant, quoted: true, to: &out) {
                    #expect(String(decoding: out, as: UTF8.self) == "x\"" + strftime.render(instant) + "\"", "\(second) \(nanoseconds)")
                } else {
                    #expect(out == Array("x".utf8), "\(second) \(nanoseconds)")
                }
            }
        }
    }

    @Test("a response header's alternative is read when the header is absent; no response at all is unavailable")
    func responseAlternatives() throws {
        var entry = Self.entry()
        let format = try AccessLogFormat.text("%RESP(X-MISSING?CONTENT-TYPE)% %RESP(CONTENT-TYPE?X-MISSING)% %REQ(X-NONE?USER-AGENT)% %STREAM_ID%")
        #expect(AccessLogFormatter.line(entry, format: format).hasPrefix("application/json application/json curl/8.5.0 "))
        entry.responseHeaders = nil
        #expect(AccessLogFormatter.line(entry, format: format).hasPrefix("- - curl/8.5.0 "))
    }

    @Test("unknown operators and broken formats are refused with the reason")
    func refusals() {
        #expect(throws: AccessLogFormatError.self) { try AccessLogFormat.text("%NOT_AN_OPERATOR%") }
        #expect(throws: AccessLogFormatError.self) { try AccessLogFormat.text("%REQ(:METHOD)") }
        #expect(throws: AccessLogFormatError.self) { try AccessLogFormat.mesh(encoding: "JSON", format: "{\"a\": ") }
        #expect(throws: AccessLogFormatError.self) { try AccessLogFormat.mesh(encoding: "JSON", format: "[\"%PROTOCOL%\"]") }
        do {
            _ = try AccessLogFormat.text("x %BOGUS% y")
            Issue.record("an unknown operator was accepted")
        } catch {
            #expect(error.description.contains("BOGUS"), "the reason names the operator: \(error.description)")
        }
    }

    @Test("JSON escapes what would break the line")
    func jsonEscaping() throws {
        var entry = Self.entry()
        entry.requestHeaders = TestHeaders(values: ["user-agent": "a\"b\\c\nd\u{01}"])
        let object = try Self.object(AccessLogFormatter.line(entry, format: AccessLogFormat.mesh(encoding: "JSON", format: "{\"ua\":\"%REQ(USER-AGENT)%\",\"mixed\":\"code=%RESPONSE_CODE%\"}")))
        #expect(object["ua"] as? String == "a\"b\\c\nd\u{01}")
        #expect(object["mixed"] as? String == "code=200", "an operator inside other text stays a string")
    }

    @Test("a JSON line byte for byte: keys sorted and escaped, nested objects, literals as written, constant and mixed strings, typed values")
    func jsonLineBytes() throws {
        var entry = Self.entry()
        entry.bytesSent = 1_234_567
        let format = try AccessLogFormat.mesh(encoding: "JSON", format: """
        {"z": {"code": "%RESPONSE_CODE%", "n": null}, "b\\\"q": true, "a": 3, "c": "constant", "d": "",
         "e": "%BYTES_RECEIVED%/%BYTES_SENT%", "f": "%UPSTREAM_TRANSPORT_FAILURE_REASON%", "g": "%REQ(USER-AGENT):4%", "h": "%BYTES_SENT%"}
        """)
        #expect(AccessLogFormatter.line(entry, format: format)
            == #"{"a":3,"b\"q":true,"c":"constant","d":"","e":"0/1234567","f":null,"g":"curl","h":1234567,"z":{"code":200,"n":null}}"# + "\n")
        let text = try AccessLogFormat.mesh(encoding: "TEXT", format: "%BYTES_RECEIVED% %DURATION% 100%% %RESPONSE_FLAGS% %UPSTREAM_TRANSPORT_FAILURE_REASON%")
        #expect(AccessLogFormatter.line(entry, format: text) == "0 4 100% - -\n")
    }

    @Test("CEL filters as Istio documents them", arguments: [
        ("response.code >= 400", 503, false, true),
        ("response.code >= 400", 200, false, false),
        ("request.headers['user-agent'].startsWith('curl')", 200, false, true),
        ("response.code >= 500 || request.method == 'POST'", 200, false, false),
        ("!(request.url_path in ['/healthz', '/ready'])", 200, false, true),
        ("request.url_path == '/reviews/0' && size(request.headers['x-request-id']) > 10", 200, false, true),
        ("has(request.headers.missing)", 200, false, false),
        ("has(request.headers.x_forwarded_for) || request.headers['x-forwarded-for'] == '10.0.0.1'", 200, false, true),
        ("request.method in ['GET', 'HEAD'] && !(response.code in [500, 503])", 200, false, true),
    ])
    func celFilters(expression: String, code: Int, mayRefuse: Bool, logged: Bool) throws {
        var entry = Self.entry()
        entry.responseCode = code
        let filter: AccessLogFilter
        do {
            filter = try AccessLogFilter(expression)
        } catch {
            #expect(mayRefuse, "refused \(expression): \(error.description)")
            return
        }
        #expect(filter.matches(entry) == logged, "\(expression) with \(code)")
    }

    @Test("a CEL expression outside the supported forms is refused, not guessed")
    func celRefusal() {
        #expect(throws: AccessLogFilter.Unsupported.self) { try AccessLogFilter("response.code >=") }
        #expect(throws: AccessLogFilter.Unsupported.self) { try AccessLogFilter("request.headers.map(h, h)") }
    }
}
