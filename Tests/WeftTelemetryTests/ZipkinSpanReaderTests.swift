import Foundation
import Testing
@testable import WeftTelemetry

/// The collector's own reader of posted spans must read what `JSONDecoder` reads, and give up
/// (nil, so `JSONDecoder` decides) on anything it does not read the same way.
@Suite("Zipkin span reader")
struct ZipkinSpanReaderTests {
    typealias Span = ZipkinSpanStore.Span

    static func decoded(_ body: [UInt8]) -> [Span]? {
        try? JSONDecoder().decode([Span].self, from: Data(body))
    }

    /// SplitMix64: the same sequence on every run.
    struct Random {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(bound))
        }
    }

    /// Text with what JSON must escape and what it need not: quotes, backslashes, slashes, controls, DEL, accents, a clef (outside the BMP).
    static func text(_ random: inout Random) -> String {
        let pieces = ["a", "productpage", "\"", "\\", "/", "\n", "\t", "\u{01}", "\u{7F}", "é", "𝄞", " ", "null", "{", "]", ":", ","]
        return (0..<random.next(8)).map { _ in pieces[random.next(pieces.count)] }.joined()
    }

    /// A span as a sidecar's exporter writes it.
    static func sidecarSpan(_ random: inout Random) -> ZipkinSpan {
        var span = ZipkinSpan(traceID: String(format: "%016llx%016llx", UInt64(random.next(1 << 62)), UInt64(random.next(1 << 62))),
                              id: String(format: "%016llx", UInt64(random.next(1 << 62))),
                              parentID: random.next(2) == 0 ? nil : String(format: "%016llx", UInt64(random.next(1 << 62))),
                              name: random.next(4) == 0 ? nil : text(&random), kind: [nil, .CLIENT, .SERVER][random.next(3)],
                              timestamp: Int64(random.next(1 << 52)), duration: Int64(random.next(1 << 20)) + 1)
        span.debug = random.next(5) == 0
        span.shared = random.next(5) == 0
        if random.next(3) > 0 { span.localEndpoint = ZipkinSpan.Endpoint(serviceName: text(&random), ipv4: "10.0.0.\(random.next(255))") }
        if random.next(3) > 0 { span.remoteEndpoint = ZipkinSpan.Endpoint(ipv6: "::1", port: random.next(65536)) }
        span.tags = (0..<random.next(16)).map { index in ("k\(index)" + text(&random), text(&random)) }
        return span
    }

    @Test("what sidecars post (every escape their writer makes, text outside ASCII) reads as JSONDecoder reads it, never left to it")
    func sidecarBodies() {
        var random = Random(state: 42)
        for round in 0..<300 {
            let spans = (0..<random.next(5)).map { _ in Self.sidecarSpan(&random) }
            let body = ZipkinSpan.listJSON(spans)
            let read = ZipkinSpanReader.read(body)
            #expect(read != nil, "round \(round): \(String(decoding: body, as: UTF8.self))")
            #expect(read == Self.decoded(body), "round \(round)")
        }
    }

    @Test("JSONEncoder's bodies (its escaped slashes, its key order, annotations, whitespace added) read the same")
    func encoderBodies() throws {
        var random = Random(state: 7)
        let encoder = JSONEncoder()
        for round in 0..<200 {
            var span = Span(traceId: String(format: "%016llx", UInt64(random.next(1 << 62))), id: String(format: "%016llx", UInt64(random.next(1 << 62))))
            span.name = Self.text(&random)
            span.timestamp = random.next(2) == 0 ? nil : -Int64(random.next(1000))
            span.annotations = random.next(2) == 0 ? nil : (0..<random.next(3)).map { Span.Annotation(timestamp: Int64($0), value: Self.text(&random)) }
            span.tags = random.next(2) == 0 ? nil : ["a/b": Self.text(&random), "": ""]
            span.remoteEndpoint = Span.Endpoint(serviceName: nil, ipv4: nil, ipv6: nil, port: random.next(2) == 0 ? nil : 0)
            var body = Array(try encoder.encode([span, span]))
            // Whitespace around the commas (those in strings too: then it is not JSON, and neither reads it).
            if round % 2 == 0 { body = Array(String(decoding: body, as: UTF8.self).replacingOccurrences(of: ",", with: " ,\n\t").utf8) }
            let read = ZipkinSpanReader.read(body), decoded = Self.decoded(body)
            #expect(read == decoded && (read != nil || round % 2 == 0), "round \(round): \(String(decoding: body, as: UTF8.self))")
        }
    }

    @Test("bodies it does not read alike are left to JSONDecoder: unknown keys, nulls, fractions and exponents, repeated keys, surrogate escapes, other escapes, leading zeros, overflow, bytes after the list, what is not JSON")
    func leftToDecoder() {
        let span = #"[{"traceId":"a3ce929d0e0e4736","id":"e457b5a2e4d86bd1""#
        #expect(ZipkinSpanReader.read(Array((span + "}]").utf8)) == Self.decoded(Array((span + "}]").utf8)))
        for text in [
            span + #","extra":1}]"#, span + #","name":null}]"#, span + #","duration":1.0}]"#, span + #","duration":1e3}]"#,
            span + #","id":"0000000000000001"}]"#, span + #","name":"\ud834\udd1e"}]"#, span + #","name":"\x"}]"#, span + #","duration":01}]"#,
            span + #","timestamp":99999999999999999999}]"#, span + #"}] x"#, span + #"}"#, #"{"#, "", span + #","tags":{"a":1}}]"#,
            span + #","localEndpoint":{"port":"1"}}]"#, span + #","debug":"true"}]"#, #"[{"id":"e457b5a2e4d86bd1"}]"#,
        ] {
            #expect(ZipkinSpanReader.read(Array(text.utf8)) == nil, "\(text)")
        }
        // A surrogate pair escaped is still a span, decoded the slow way.
        let pair = Array((span + #","name":"\ud834\udd1e"}]"#).utf8)
        #expect((try? ZipkinSpanStore.decode(pair))?.first?.name == "𝄞")
    }

    @Test("any bytes changed, removed or cut from a body: whatever it reads, JSONDecoder reads the same")
    func mutatedBodies() {
        var random = Random(state: 99)
        let alphabet = Array("{}[]:,\"\\ 0123456789-.eEtrufalsn/abux".utf8) + [0x00, 0x1F, 0x80, 0xC3, 0xFF]
        var read = 0
        for _ in 0..<3000 {
            var body = ZipkinSpan.listJSON([Self.sidecarSpan(&random)])
            for _ in 0...random.next(3) where !body.isEmpty {
                let at = random.next(body.count)
                switch random.next(4) {
                case 0: body[at] = alphabet[random.next(alphabet.count)]
                case 1: body.remove(at: at)
                case 2: body.insert(alphabet[random.next(alphabet.count)], at: at)
                default: body.removeSubrange(at...)
                }
            }
            guard let spans = ZipkinSpanReader.read(body) else { continue }
            read += 1
            #expect(spans == Self.decoded(body), "\(String(decoding: body, as: UTF8.self))")
        }
        // Some mutations leave a body that still reads (a changed letter in a value), and those were compared.
        #expect(read > 100)
    }
}
