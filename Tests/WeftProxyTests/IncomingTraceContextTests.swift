import Testing
import WeftModel
import WeftTelemetry
@testable import WeftProxy

/// The caller's trace context read from the head's bytes must be what `TraceContext.extract`
/// reads through Strings, for every form it takes, refuses or passes on to the other headers.
@Suite("Incoming trace context from bytes")
struct IncomingTraceContextTests {
    static func fromBytes(_ pairs: [(String, String)]) -> (TraceContext, TraceContext.Source)? {
        RequestSpan.incomingContext(HeaderFields(pairs)).map { ($0.context, $0.source) }
    }

    static func fromStrings(_ pairs: [(String, String)]) -> (TraceContext, TraceContext.Source)? {
        TraceContext.extract { name in pairs.first { $0.0.lowercased() == name }?.1 }
    }

    static func same(_ lhs: (TraceContext, TraceContext.Source)?, _ rhs: (TraceContext, TraceContext.Source)?) -> Bool {
        guard let (a, sourceA) = lhs, let (b, sourceB) = rhs else { return lhs == nil && rhs == nil }
        return sourceA == sourceB && a.traceIDHigh == b.traceIDHigh && a.traceIDLow == b.traceIDLow && a.spanID == b.spanID
            && a.parentSpanID == b.parentSpanID && a.sampled == b.sampled && a.debug == b.debug && a.is128Bit == b.is128Bit
    }

    @Test("every trace id length, digit case, sampled value and flag reads as through Strings; malformed ids fall through to b3 and traceparent")
    func sameAsStrings() {
        let traceIDs = ["", "1", "a3ce929d0e0e4736", "A3CE929D0E0E4736", "0a3ce929d0e0e4736", "80f198ee56343ba864fe8b2a57d3eff",
                        "80f198ee56343ba864fe8b2a57d3eff7", "80F198EE56343BA864FE8B2A57D3EFF7", "80f198ee56343ba864fe8b2a57d3eff7a",
                        "0000000000000000", "00000000000000000000000000000000", "not-hex", "+0f198ee56343ba8", "80f198ee5634 3ba8", "g0f198ee56343ba8"]
        let spanIDs = ["", "0", "0000000000000000", "e457b5a2e4d86bd1", "E457B5A2E4D86BD1", "1", "e457b5a2e4d86bd1f", "-457b5a2e4d86bd1"]
        let sampled = [nil, "1", "0", "true", "false", "d", "yes", "", "TRUE"]
        let others: [[(String, String)]] = [[], [("b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1")],
                                            [("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")]]
        var checked = 0
        for trace in traceIDs {
            for span in spanIDs {
                for decision in sampled {
                    for other in others {
                        var pairs: [(String, String)] = [("X-B3-TraceId", trace), ("x-b3-spanid", span)]
                        if let decision { pairs.append(("x-b3-sampled", decision)) }
                        pairs += other
                        #expect(Self.same(Self.fromBytes(pairs), Self.fromStrings(pairs)), "\(pairs)")
                        checked += 1
                    }
                }
            }
        }
        #expect(checked == traceIDs.count * spanIDs.count * sampled.count * others.count)
        for extra: [(String, String)] in [[("x-b3-parentspanid", "05e3ac9a4f6e3b90")], [("x-b3-parentspanid", "zz")], [("x-b3-flags", "1")],
                                          [("x-b3-flags", "0")], [("X-B3-Flags", "1"), ("x-b3-sampled", "0")]] {
            let pairs = [("x-b3-traceid", "80f198ee56343ba864fe8b2a57d3eff7"), ("x-b3-spanid", "e457b5a2e4d86bd1")] + extra
            #expect(Self.same(Self.fromBytes(pairs), Self.fromStrings(pairs)), "\(pairs)")
        }
        #expect(Self.fromBytes([("content-type", "text/plain")]) == nil)
        // Repeated fields: the first of each name counts, valid or not.
        for repeated: [(String, String)] in [
            [("x-b3-traceid", "80f198ee56343ba864fe8b2a57d3eff7"), ("x-b3-spanid", "e457b5a2e4d86bd1"), ("x-b3-traceid", "zz")],
            [("x-b3-traceid", "zz"), ("x-b3-spanid", "e457b5a2e4d86bd1"), ("X-B3-TRACEID", "80f198ee56343ba864fe8b2a57d3eff7")],
            [("x-b3-traceid", "a3ce929d0e0e4736"), ("x-b3-spanid", "0"), ("x-b3-spanid", "e457b5a2e4d86bd1"), ("x-b3-sampled", "0"), ("x-b3-sampled", "1")],
            [("x-b3-traceid", "a3ce929d0e0e4736"), ("x-b3-spanid", "e457b5a2e4d86bd1"), ("x-b3-flags", "0"), ("x-b3-flags", "1")],
        ] {
            #expect(Self.same(Self.fromBytes(repeated), Self.fromStrings(repeated)), "\(repeated)")
        }
    }

    @Test("ids read from bytes as from Strings, for every digit at every place")
    func hexBytes() {
        for place in 0..<16 {
            for digit in Array("0123456789abcdefABCDEFgG/:@`".utf8) {
                var text = Array("0123456789abcdef".utf8)
                text[place] = digit
                let string = String(decoding: text, as: UTF8.self)
                let bytes = text.withUnsafeBufferPointer { Hex.sixtyFour($0) }
                #expect(bytes == Hex.sixtyFour(string), "\(string)")
                let wide = Array("80f198ee56343ba8".utf8) + text
                let wideBytes = wide.withUnsafeBufferPointer { Hex.traceID($0) }
                let wideString = Hex.traceID(String(decoding: wide, as: UTF8.self))
                #expect(wideBytes.map { [$0.0, $0.1] } == wideString.map { [$0.0, $0.1] } && wideBytes?.2 == wideString?.2, "\(string)")
            }
        }
    }
}
