import Testing
import WeftModel
import WeftTelemetry
@testable import WeftProxy

/// The next hop's trace context written into a request: B3's fields rewritten where they lie must
/// give the fields that removing every context header and adding the context's anew gives.
@Suite("Trace context propagated upstream")
struct TraceContextPropagationTests {
    /// (lower-cased name, value) of every field, sorted: the set the next hop reads.
    static func fieldSet(_ fields: HeaderFields) -> [String] {
        fields.map { "\($0.name): \($0.value)" }.sorted()
    }

    /// What the wire carries, line by line (names lower-cased), must be the fields as indexed (in place edits included).
    static func wireLines(_ fields: HeaderFields) -> [String] {
        var bytes: [UInt8] = []
        fields.withLineRuns { bytes.append(contentsOf: $0) }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\r\n").map { line in
            let colon = line.firstIndex(of: ":") ?? line.endIndex
            return line[..<colon].lowercased() + line[colon...]
        }
    }

    static func reference(_ context: TraceContext, w3c: Bool, carried: Bool, _ pairs: [(String, String)]) -> HeaderFields {
        var fields = HeaderFields(pairs)
        if carried { fields.remove(w3c ? ProxyServerHandler.traceContextNames : HeaderNameSet(TraceContext.headerWireNames.map { HeaderName($0) })) }
        for (name, value) in context.headers(w3c: w3c) { fields.add(name: name, value: value) }
        return fields
    }

    @Test("every incoming form (ids of each length, repeated and mixed-case fields, sampled values, flags, b3, traceparent) against every outgoing context: the fields are the same as removed and added anew, the others keep their order, the wire says what the index says")
    func sameAsRemovedAndAdded() {
        let incoming: [[(String, String)]] = [
            [],
            [("x-b3-traceid", "80f198ee56343ba864fe8b2a57d3eff7"), ("x-b3-spanid", "e457b5a2e4d86bd1"), ("x-b3-sampled", "0")],
            [("X-B3-TraceId", "80f198ee56343ba8"), ("X-B3-SpanId", "e457b5a2e4d86bd1"), ("X-B3-ParentSpanId", "05e3ac9a4f6e3b90"), ("X-B3-Sampled", "1")],
            [("x-b3-traceid", "80F198EE56343BA864FE8B2A57D3EFF7"), ("x-b3-spanid", "e457b5a2e4d86bd1"), ("x-b3-flags", "1")],
            [("x-b3-traceid", "80f198ee56343ba864fe8b2a57d3eff7"), ("x-b3-spanid", "1"), ("x-b3-sampled", "true"), ("x-b3-flags", "0")],
            [("x-b3-traceid", "80f198ee56343ba864fe8b2a57d3eff7"), ("x-b3-traceid", "80f198ee56343ba864fe8b2a57d3eff7"), ("x-b3-spanid", "e457b5a2e4d86bd1"),
             ("x-b3-spanid", "e457b5a2e4d86bd1"), ("x-b3-sampled", "1"), ("x-b3-sampled", "0")],
            [("b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1"), ("x-b3-spanid", "e457b5a2e4d86bd1")],
            [("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"), ("x-b3-traceid", "80f198ee56343ba8"), ("tracestate", "a=b")],
            [("x-b3-sampled", "0")],
        ]
        let contexts = [
            TraceContext(traceIDHigh: 0x80f1_98ee_5634_3ba8, traceIDLow: 0x64fe_8b2a_57d3_eff7, spanID: 0x1234_5678_9abc_def0, parentSpanID: 0xe457_b5a2_e4d8_6bd1, sampled: false),
            TraceContext(traceIDHigh: 0, traceIDLow: 0x80f1_98ee_5634_3ba8, spanID: 0xabcd, parentSpanID: 0xe457_b5a2_e4d8_6bd1, sampled: true, is128Bit: false),
            TraceContext(traceIDHigh: 1, traceIDLow: 2, spanID: 3, sampled: true, debug: true),
            TraceContext(traceIDHigh: 1, traceIDLow: 2, spanID: 3, sampled: nil),
        ]
        var checked = 0
        for context in contexts {
            for fields in incoming {
                for w3c in [false, true] {
                    let pairs = [("Host", "h")] + fields + [("accept", "*/*")]
                    var propagated = HeaderFields(pairs)
                    // Rewritten at the spots the head's arrival found, or (none found) by name.
                    let spots = RequestSpan.incomingContext(propagated)?.spots
                    RequestSpan.propagate(context, w3c: w3c, carried: !fields.isEmpty, spots: spots, to: &propagated)
                    let expected = Self.reference(context, w3c: w3c, carried: !fields.isEmpty, pairs)
                    #expect(Self.fieldSet(propagated) == Self.fieldSet(expected), "\(context) w3c \(w3c) \(fields)")
                    let others = propagated.map(\.name).filter { !TraceContext.isContextHeader($0) }
                    #expect(others == expected.map(\.name).filter { !TraceContext.isContextHeader($0) })
                    #expect(Self.wireLines(propagated) == propagated.map { "\($0.name): \($0.value)" }, "\(fields)")
                    checked += 1
                }
            }
        }
        #expect(checked == contexts.count * incoming.count * 2)
    }

    @Test("a sidecar's caller's B3 fields are rewritten where they lie: the head stays one run of lines, nothing added")
    func rewrittenInPlace() throws {
        let pairs = [("host", "h"), ("x-b3-traceid", "80f198ee56343ba864fe8b2a57d3eff7"), ("x-b3-spanid", "e457b5a2e4d86bd1"),
                     ("x-b3-parentspanid", "05e3ac9a4f6e3b90"), ("x-b3-sampled", "0"), ("accept", "*/*")]
        var fields = HeaderFields(pairs)
        let bytesBefore = fields.lineBytes
        let context = TraceContext(traceIDHigh: 0x80f1_98ee_5634_3ba8, traceIDLow: 0x64fe_8b2a_57d3_eff7, spanID: 0x1234_5678_9abc_def0,
                                   parentSpanID: 0xe457_b5a2_e4d8_6bd1, sampled: false)
        let spots = try #require(RequestSpan.incomingContext(fields)?.spots)
        RequestSpan.propagate(context, w3c: false, carried: true, spots: spots, to: &fields)
        var runs = 0
        fields.withLineRuns { _ in runs += 1 }
        #expect(runs == 1 && fields.lineBytes == bytesBefore && fields.count == pairs.count)
        #expect(fields.first("x-b3-spanid") == "123456789abcdef0" && fields.first("x-b3-parentspanid") == "e457b5a2e4d86bd1")
    }

    @Test("fields edited between the head's arrival and its forwarding (a field before them removed, one of them replaced, one removed, the head copied): the result is the one found by name")
    func spotsAfterEdits() throws {
        let pairs = [("host", "h"), ("connection", "keep-alive"), ("x-b3-traceid", "80f198ee56343ba864fe8b2a57d3eff7"), ("x-b3-spanid", "e457b5a2e4d86bd1"),
                     ("x-b3-sampled", "0"), ("accept", "*/*")]
        let context = TraceContext(traceIDHigh: 0x80f1_98ee_5634_3ba8, traceIDLow: 0x64fe_8b2a_57d3_eff7, spanID: 0x1234_5678_9abc_def0,
                                   parentSpanID: 0xe457_b5a2_e4d8_6bd1, sampled: false)
        let edits: [(String, (inout HeaderFields) -> Void)] = [
            ("none", { _ in }),
            ("connection removed", { $0.remove("connection") }),
            ("span id replaced", { $0.replaceOrAdd(name: "x-b3-spanid", value: "0000000000000001") }),
            ("sampled removed", { $0.remove(name: "x-b3-sampled") }),
            ("trace id removed, another added", { $0.remove(name: "x-b3-traceid"); $0.add(name: "x-other", value: "1") }),
            ("shared with a copy", { fields in let copy = fields; fields.add(name: "x-after", value: String(copy.count)) }),
        ]
        for (label, edit) in edits {
            var fields = HeaderFields(pairs)
            let spots = try #require(RequestSpan.incomingContext(fields)?.spots)
            edit(&fields)
            var expected = fields
            RequestSpan.propagate(context, w3c: false, carried: true, spots: spots, to: &fields)
            RequestSpan.propagate(context, w3c: false, carried: true, spots: nil, to: &expected)
            #expect(Self.fieldSet(fields) == Self.fieldSet(expected), "\(label)")
            #expect(Self.wireLines(fields) == fields.map { "\($0.name): \($0.value)" }, "\(label)")
            #expect(fields.first("x-b3-spanid") == "123456789abcdef0" && fields.first("x-b3-parentspanid") == "e457b5a2e4d86bd1", "\(label)")
        }
        // Past the 256th field a spot is not kept: found again by name.
        var long = HeaderFields((0..<300).map { ("x-filler-\($0)", "v") } + pairs)
        #expect(try #require(RequestSpan.incomingContext(long)).spots == nil)
        RequestSpan.propagate(context, w3c: false, carried: true, spots: nil, to: &long)
        #expect(long.first("x-b3-spanid") == "123456789abcdef0" && long.count == 300 + pairs.count + 1)
    }
}
