import Foundation
import Testing
@testable import WeftTelemetry

/// Trace context in and out, Zipkin spans as JSON, and the collector's store, one step at a time.
@Suite("Trace context and spans")
struct TraceContextTests {
    static func headers(_ values: [String: String]) -> (String) -> String? { { values[$0] } }

    @Test("B3 multi-header: 128- and 64-bit trace ids, parent, sampled and debug flags")
    func b3Multi() throws {
        let (context, source) = try #require(TraceContext.extract(Self.headers([
            "x-b3-traceid": "80f198ee56343ba864fe8b2a57d3eff7", "x-b3-spanid": "e457b5a2e4d86bd1",
            "x-b3-parentspanid": "05e3ac9a4f6e3b90", "x-b3-sampled": "1",
        ])))
        #expect(source == .b3 && context.traceIDHex == "80f198ee56343ba864fe8b2a57d3eff7" && context.spanID == 0xe457b5a2e4d86bd1)
        #expect(context.parentSpanID == 0x05e3ac9a4f6e3b90 && context.sampled == true && !context.debug)
        let (short, _) = try #require(TraceContext.extract(Self.headers(["x-b3-traceid": "a3ce929d0e0e4736", "x-b3-spanid": "00f067aa0ba902b7", "x-b3-flags": "1"])))
        #expect(short.traceIDHex == "a3ce929d0e0e4736" && !short.is128Bit && short.debug && short.sampled == nil)
    }

    @Test("b3 single header and W3C traceparent, in that order after the multi-header form")
    func singleAndW3C() throws {
        let (single, source) = try #require(TraceContext.extract(Self.headers(["b3": "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90"])))
        #expect(source == .b3Single && single.sampled == true && single.parentSpanID == 0x05e3ac9a4f6e3b90)
        let (debug, _) = try #require(TraceContext.extract(Self.headers(["b3": "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-d"])))
        #expect(debug.debug && debug.sampled == true)
        let (w3c, w3cSource) = try #require(TraceContext.extract(Self.headers(["traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"])))
        #expect(w3cSource == .w3c && w3c.traceIDHex == "4bf92f3577b34da6a3ce929d0e0e4736" && w3c.spanID == 0x00f067aa0ba902b7 && w3c.sampled == true)
        // Both present: B3 wins, as Envoy's Zipkin tracer reads B3 first.
        let (both, bothSource) = try #require(TraceContext.extract(Self.headers([
            "x-b3-traceid": "1111111111111111", "x-b3-spanid": "2222222222222222", "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ])))
        #expect(bothSource == .b3 && both.traceIDHex == "1111111111111111")
    }

    @Test("malformed context is ignored (a new trace starts), a lone decision is kept", arguments: [
        ["x-b3-traceid": "not-hex", "x-b3-spanid": "e457b5a2e4d86bd1"],
        ["x-b3-traceid": "+0f198ee56343ba8", "x-b3-spanid": "e457b5a2e4d86bd1"],
        ["x-b3-traceid": "80f198ee56343ba864fe8b2a57d3eff7aa", "x-b3-spanid": "e457b5a2e4d86bd1"],
        ["x-b3-traceid": "0000000000000000", "x-b3-spanid": "e457b5a2e4d86bd1"],
        ["b3": "80f198ee56343ba864fe8b2a57d3eff7"],
        ["b3": "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-x"],
        ["traceparent": "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"],
        ["traceparent": "00-00000000000000000000000000000000-00f067aa0ba902b7-01"],
        ["traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra"],
    ])
    func malformed(_ values: [String: String]) {
        #expect(TraceContext.extract(Self.headers(values)) == nil, "\(values)")
    }

    @Test("a decision without ids: x-b3-sampled 0 and b3: 0 say no, x-b3-flags 1 says debug")
    func decisions() {
        #expect(TraceContext.decisionOnly(Self.headers(["x-b3-sampled": "0"])) == (false, false))
        #expect(TraceContext.decisionOnly(Self.headers(["b3": "0"])) == (false, false))
        #expect(TraceContext.decisionOnly(Self.headers(["x-b3-flags": "1"])) == (true, true))
        #expect(TraceContext.decisionOnly(Self.headers([:])) == (nil, false))
    }

    @Test("headers for the next hop: B3 with this span as the caller, traceparent only when asked")
    func outgoing() {
        let context = TraceContext(traceIDHigh: 0x80f1_98ee_5634_3ba8, traceIDLow: 0x64fe_8b2a_57d3_eff7, spanID: 0xe457_b5a2_e4d8_6bd1,
                                   parentSpanID: 0x05e3_ac9a_4f6e_3b90, sampled: true)
        let b3 = Dictionary(uniqueKeysWithValues: context.headers(w3c: false))
        #expect(b3 == ["x-b3-traceid": "80f198ee56343ba864fe8b2a57d3eff7", "x-b3-spanid": "e457b5a2e4d86bd1",
                       "x-b3-parentspanid": "05e3ac9a4f6e3b90", "x-b3-sampled": "1"])
        let w3c = Dictionary(uniqueKeysWithValues: context.headers(w3c: true))
        #expect(w3c["traceparent"] == "00-80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-01")
    }

    @Test("a span's JSON: Zipkin's field names, hex ids, endpoints from addresses, duration at least 1, escaped tags")
    func spanJSON() throws {
        var span = ZipkinSpan(traceID: "80f198ee56343ba864fe8b2a57d3eff7", id: "e457b5a2e4d86bd1", parentID: "05e3ac9a4f6e3b90",
                              name: "reviews.default.svc.cluster.local:9080/*", kind: .CLIENT, timestamp: 1_700_000_000_000_000, duration: 0)
        span.localEndpoint = ZipkinSpan.Endpoint(serviceName: "productpage.default", ipv4: "127.0.0.5")
        span.remoteEndpoint = ZipkinSpan.Endpoint(address: "[::1]:9080")
        span.tags = [("http.url", "http://reviews:9080/\"quoted\"\n")]
        let object = try #require(try JSONSerialization.jsonObject(with: Data(span.json.utf8)) as? [String: Any])
        #expect(object["traceId"] as? String == "80f198ee56343ba864fe8b2a57d3eff7" && object["parentId"] as? String == "05e3ac9a4f6e3b90")
        #expect(object["kind"] as? String == "CLIENT" && object["duration"] as? Int == 1)
        #expect((object["remoteEndpoint"] as? [String: Any])?["ipv6"] as? String == "::1" && (object["remoteEndpoint"] as? [String: Any])?["port"] as? Int == 9080)
        #expect((object["tags"] as? [String: String])?["http.url"] == "http://reviews:9080/\"quoted\"\n")
        #expect(ZipkinSpan.Endpoint(address: "reviews:9080") == nil)
    }

    @Test("endpoints from addresses: IPv4 with or without a port, bracketed and bare IPv6; names and malformed IPv4 are none")
    func endpointAddresses() {
        #expect(ZipkinSpan.Endpoint(address: "10.1.2.3:9080") == ZipkinSpan.Endpoint(ipv4: "10.1.2.3", port: 9080))
        #expect(ZipkinSpan.Endpoint(address: "10.1.2.3") == ZipkinSpan.Endpoint(ipv4: "10.1.2.3"))
        #expect(ZipkinSpan.Endpoint(address: "[fe80::1]:15006", serviceName: "s") == ZipkinSpan.Endpoint(serviceName: "s", ipv6: "fe80::1", port: 15006))
        #expect(ZipkinSpan.Endpoint(address: "::1") == ZipkinSpan.Endpoint(ipv6: "::1"))
        #expect(ZipkinSpan.Endpoint(address: "10.1..3:80") == nil)
        #expect(ZipkinSpan.Endpoint(address: "10.1.2.x:80") == nil)
        #expect(ZipkinSpan.Endpoint(address: ":80") == nil)
        #expect(ZipkinSpan.Endpoint(address: "") == nil)
    }

    @Test("a span's JSON byte for byte: fields in Zipkin's order, endpoints, tags as given")
    func spanJSONText() {
        var span = ZipkinSpan(traceID: "a3ce929d0e0e4736", id: "e457b5a2e4d86bd1", name: "op", kind: .SERVER, timestamp: 5, duration: 7)
        span.localEndpoint = ZipkinSpan.Endpoint(serviceName: "svc", ipv4: "10.0.0.1")
        span.remoteEndpoint = ZipkinSpan.Endpoint()
        span.tags = [("b", "2"), ("a", "1")]
        #expect(span.json == #"{"traceId":"a3ce929d0e0e4736","id":"e457b5a2e4d86bd1","name":"op","kind":"SERVER","timestamp":5,"duration":7,"#
            + #""localEndpoint":{"serviceName":"svc","ipv4":"10.0.0.1"},"remoteEndpoint":{},"tags":{"b":"2","a":"1"}}"#)
        #expect(String(decoding: ZipkinSpan.listJSON([span, span]), as: UTF8.self) == "[\(span.json),\(span.json)]")
        #expect(ZipkinSpan.listJSON([]) == Array("[]".utf8))
    }

    static func storedSpan(trace: String, id: String, parent: String? = nil, service: String, kind: String, timestamp: Int64 = 1_700_000_000_000_000) -> String {
        let parentField = parent.map { ",\"parentId\":\"\($0)\"" } ?? ""
        return "{\"traceId\":\"\(trace)\",\"id\":\"\(id)\"\(parentField),\"kind\":\"\(kind)\",\"timestamp\":\(timestamp),\"duration\":10,\"localEndpoint\":{\"serviceName\":\"\(service)\"}}"
    }

    @Test("a JSON string's escapes are looked for eight bytes at a time: every byte value at every place of values up to 24 bytes long, as a byte-by-byte test finds them")
    func escapesFound() {
        let plain = Array("abcdefghijklmnopqrstuvwx".utf8)
        for length in 1...plain.count {
            for place in 0..<length {
                for byte in 0...255 {
                    var bytes = Array(plain[0..<length])
                    bytes[place] = UInt8(byte)
                    let expected = bytes.contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0x7F }
                    #expect(bytes.withUnsafeBufferPointer { JSONText.needsEscape($0) } == expected, "byte \(byte) at \(place) of \(length)")
                }
            }
        }
        // Bytes of UTF-8 beside a control character: a borrow from one does not hide the other.
        for bytes: [UInt8] in [[0xC3, 0xA9, 0x1F, 0xFF, 0x80, 0x20, 0x21, 0x23], [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00], [0x20, 0x21, 0x5B, 0x5D, 0x7E, 0x80, 0xFF, 0x7B]] {
            #expect(bytes.withUnsafeBufferPointer { JSONText.needsEscape($0) } == bytes.contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0x7F })
        }
    }

    @Test("a null value is found outside strings only, as a parse into Foundation objects finds it: in tags, endpoints, arrays and at the top; not in strings with quotes, backslashes or the word null")
    func nullValues() throws {
        // Written with ' for ", and the backslashes JSON reads.
        let texts = [
            "[{'traceId':'a3ce929d0e0e4736','id':'e457b5a2e4d86bd1','tags':null}]",
            "[{'traceId':'a3ce929d0e0e4736','id':'e457b5a2e4d86bd1','tags':{'a':null}}]",
            "[{'traceId':'a3ce929d0e0e4736','id':'e457b5a2e4d86bd1','localEndpoint':{'serviceName':'n','port':null}}]",
            "[{'traceId':'a3ce929d0e0e4736','id':'e457b5a2e4d86bd1','annotations':[null]}]",
            "[{'traceId':'a3ce929d0e0e4736','id':'e457b5a2e4d86bd1','name':'null','tags':{'null':'nothing \\'null\\' \\\\ n','x':'\\\\'}}]",
            "[{'traceId':'a3ce929d0e0e4736','id':'e457b5a2e4d86bd1','name':'\\u006eull \\\\\\' null','duration':1e3, 'debug' : false , 'shared':true}]",
            "[ ]",
            "[null]",
        ].map { $0.replacingOccurrences(of: "'", with: "\"") }
        for text in texts {
            let reference = try JSONSerialization.jsonObject(with: Data(text.utf8))
            func hasNull(_ value: Any) -> Bool {
                if value is NSNull { return true }
                if let list = value as? [Any] { return list.contains(where: hasNull) }
                if let object = value as? [String: Any] { return object.values.contains(where: hasNull) }
                return false
            }
            #expect(ZipkinSpanStore.containsNull(Array(text.utf8)) == hasNull(reference), "\(text)")
        }
    }

    @Test("the collector's store: refuses what is not a span, keeps a bound (oldest traces go), answers services, traces and dependency links")
    func store() async throws {
        #expect(throws: ZipkinSpanStore.Refusal.self) { try ZipkinSpanStore.decode(Array("{}".utf8)) }
        #expect(throws: ZipkinSpanStore.Refusal.self) { try ZipkinSpanStore.decode(Array("[{\"traceId\":\"XYZ\",\"id\":\"e457b5a2e4d86bd1\"}]".utf8)) }
        #expect(throws: ZipkinSpanStore.Refusal.self) { try ZipkinSpanStore.decode(Array("[{\"traceId\":\"a3ce929d0e0e4736\",\"id\":\"e457b5a2e4d86bd1\",\"tags\":null}]".utf8)) }
        let store = ZipkinSpanStore(maximumSpans: 4)
        let first = "[" + [
            Self.storedSpan(trace: "a3ce929d0e0e4736", id: "0000000000000001", service: "Gateway", kind: "CLIENT"),
            Self.storedSpan(trace: "a3ce929d0e0e4736", id: "0000000000000002", parent: "0000000000000001", service: "productpage", kind: "SERVER"),
            Self.storedSpan(trace: "a3ce929d0e0e4736", id: "0000000000000003", parent: "0000000000000002", service: "productpage", kind: "CLIENT"),
        ].joined(separator: ",") + "]"
        await store.add(try ZipkinSpanStore.decode(Array(first.utf8)))
        #expect(await store.services() == ["gateway", "productpage"])
        let links = await store.dependencies(endTs: 1_700_000_001_000, lookback: 10_000)
        #expect(links.map { "\($0.parent)->\($0.child):\($0.callCount)" } == ["gateway->productpage:1"])
        #expect(await store.traces(.init(endTs: 1_700_000_001_000, lookback: 10_000)).count == 1)
        #expect(await store.traces(.init(endTs: 1_600_000_000_000, lookback: 10_000)).isEmpty)
        // Two more spans of a new trace: past the bound of 4, the oldest trace goes whole.
        let second = "[" + [
            Self.storedSpan(trace: "b3ce929d0e0e4736", id: "0000000000000004", service: "reviews", kind: "SERVER"),
            Self.storedSpan(trace: "b3ce929d0e0e4736", id: "0000000000000005", parent: "0000000000000004", service: "reviews", kind: "CLIENT"),
        ].joined(separator: ",") + "]"
        await store.add(try ZipkinSpanStore.decode(Array(second.utf8)))
        let (kept, evicted) = (await store.count, await store.evicted)
        let (oldest, newest) = (await store.trace("a3ce929d0e0e4736"), await store.trace("b3ce929d0e0e4736"))
        #expect(kept == 2 && evicted == 3 && oldest == nil && newest?.count == 2)
        // Query windows far past Int64 microseconds do not overflow.
        #expect(await store.dependencies(endTs: .max, lookback: .max).isEmpty)
    }

    @Test("the context's header names are told from others in any case, without copying; look-alikes of the same length are not")
    func contextHeaderNames() {
        for name in TraceContext.headerNames + ["traceparent", "X-B3-TraceId", "B3", "TraceParent", "X-B3-PARENTSPANID"] {
            #expect(TraceContext.isContextHeader(name), "\(name)")
        }
        for name in ["user-agent", "x-request-id", "content-type", "x-forwarded-proto", "b4", "x-b3-spanie", "", "tracestate"] {
            #expect(!TraceContext.isContextHeader(name), "\(name)")
        }
    }
}
