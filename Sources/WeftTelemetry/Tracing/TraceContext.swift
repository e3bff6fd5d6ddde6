/// A trace's context as it crosses a hop: the trace, the span that made the call, and the caller's
/// sampling decision. Read from B3 (multi-header `x-b3-*` or single `b3`) or W3C `traceparent`, in
/// that order, as Envoy's Zipkin tracer reads them; written back as B3 headers (and `traceparent`
/// when the request came with one, so a W3C-aware app sees the same trace).
public struct TraceContext: Sendable, Hashable {
    /// 128 bits; `high` is 0 for a 64-bit trace id, which is then written with 16 hex digits.
    public var traceIDHigh: UInt64
    public var traceIDLow: UInt64
    public var spanID: UInt64
    public var parentSpanID: UInt64?
    /// The caller's decision: true, false, or nil (none made; this hop decides).
    public var sampled: Bool?
    /// `x-b3-flags: 1` (or `b3` `d`): recorded whatever the sampling says.
    public var debug = false
    /// The trace id had 32 hex digits.
    public var is128Bit = true

    public init(traceIDHigh: UInt64, traceIDLow: UInt64, spanID: UInt64, parentSpanID: UInt64? = nil, sampled: Bool? = nil, debug: Bool = false, is128Bit: Bool = true) {
        self.traceIDHigh = traceIDHigh
        self.traceIDLow = traceIDLow
        self.spanID = spanID
        self.parentSpanID = parentSpanID
        self.sampled = sampled
        self.debug = debug
        self.is128Bit = is128Bit
    }

    public var traceIDHex: String {
        is128Bit ? Hex.thirtyTwo(traceIDHigh, traceIDLow) : Hex.sixteen(traceIDLow)
    }

    /// Where an incoming context came from.
    public enum Source: Sendable, Hashable { case b3, b3Single, w3c }

    /// The context a request carries, if any. A header that does not parse is ignored (the request
    /// starts a new trace), as Envoy ignores a malformed one. Only a sampling decision (`x-b3-sampled`
    /// alone, or `b3: 0`) comes back with ids of zero: the caller decided, the trace is new.
    public static func extract(_ header: (String) -> String?) -> (context: TraceContext, source: Source)? {
        if let trace = header("x-b3-traceid"), let span = header("x-b3-spanid"),
           let (high, low, wide) = Hex.traceID(trace), let spanID = Hex.sixtyFour(span), spanID != 0, high | low != 0 {
            var context = TraceContext(traceIDHigh: high, traceIDLow: low, spanID: spanID, is128Bit: wide)
            context.parentSpanID = header("x-b3-parentspanid").flatMap(Hex.sixtyFour)
            context.sampled = header("x-b3-sampled").flatMap(sampledValue)
            context.debug = header("x-b3-flags") == "1"
            return (context, .b3)
        }
        if let single = header("b3"), let context = parseSingle(single) { return (context, .b3Single) }
        if let parent = header("traceparent"), let context = parseTraceparent(parent) { return (context, .w3c) }
        return nil
    }

    /// A decision without ids (`x-b3-sampled: 0` on its own, `b3: 0`, `x-b3-flags: 1`).
    public static func decisionOnly(_ header: (String) -> String?) -> (sampled: Bool?, debug: Bool) {
        if header("x-b3-flags") == "1" { return (true, true) }
        if let sampled = header("x-b3-sampled").flatMap(sampledValue) { return (sampled, false) }
        if let single = header("b3") {
            switch single {
            case "0": return (false, false)
            case "1": return (true, false)
            case "d": return (true, true)
            default: break
            }
        }
        return (nil, false)
    }

    /// `x-b3-sampled`'s value as bytes: `1`, `true`, `d`, or `0`, `false`; nil for anything else.
    public static func sampledValue(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool? {
        switch bytes.count {
        case 1: return bytes[0] == UInt8(ascii: "1") || bytes[0] == UInt8(ascii: "d") ? true : bytes[0] == UInt8(ascii: "0") ? false : nil
        case 4: return bytes.elementsEqual("true".utf8) ? true : nil
        case 5: return bytes.elementsEqual("false".utf8) ? false : nil
        default: return nil
        }
    }

    static func sampledValue(_ text: String) -> Bool? {
        var text = text
        return text.withUTF8 { sampledValue($0) }
    }

    /// `b3: {traceid}-{spanid}[-{sampled}[-{parentspanid}]]`.
    static func parseSingle(_ text: String) -> TraceContext? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 2, parts.count <= 4, let (high, low, wide) = Hex.traceID(String(parts[0])),
              let span = Hex.sixtyFour(String(parts[1])), span != 0, high | low != 0 else { return nil }
        var context = TraceContext(traceIDHigh: high, traceIDLow: low, spanID: span, is128Bit: wide)
        if parts.count >= 3 {
            if parts[2] == "d" { context.debug = true; context.sampled = true } else {
                guard let sampled = sampledValue(String(parts[2])) else { return nil }
                context.sampled = sampled
            }
        }
        if parts.count == 4 {
            guard let parent = Hex.sixtyFour(String(parts[3])) else { return nil }
            context.parentSpanID = parent
        }
        return context
    }

    /// `traceparent: 00-{32 hex trace}-{16 hex parent}-{2 hex flags}` (W3C Trace Context, version 00;
    /// a later version is read by its first four fields, as the specification says).
    static func parseTraceparent(_ text: String) -> TraceContext? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 4, parts[0].count == 2, parts[0] != "ff", parts[1].count == 32, parts[2].count == 16, parts[3].count == 2,
              parts[0] != "00" || parts.count == 4,
              let (high, low, _) = Hex.traceID(String(parts[1])), high | low != 0,
              let span = Hex.sixtyFour(String(parts[2])), span != 0,
              let flags = UInt8(parts[3], radix: 16) else { return nil }
        return TraceContext(traceIDHigh: high, traceIDLow: low, spanID: span, sampled: flags & 1 == 1)
    }

    /// The headers that carry this context to the next hop, with `spanID` as the caller's span.
    /// `traceparent` is written too when `w3c`.
    public func headers(w3c: Bool) -> [(String, String)] {
        var headers: [(String, String)] = []
        forEachHeader(w3c: w3c) { name, value in headers.append((name.description, String(decoding: value, as: UTF8.self))) }
        return headers
    }

    /// The same headers, each value written as bytes into a buffer on the stack: a forwarded request
    /// makes no String for them. `skipping`: B3 headers already written (bits by `headerWireNames`
    /// index, as `writeB3Value` reports them), which are not given again.
    public func forEachHeader(w3c: Bool, skipping written: Int = 0, _ body: (StaticString, UnsafeBufferPointer<UInt8>) -> Void) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 55) { buffer in
            for index in 0..<B3Field.count where written & (1 << index) == 0 {
                let count = b3ValueLength(index)
                guard count > 0 else { continue }
                writeB3Value(index, into: UnsafeMutableBufferPointer(rebasing: buffer[0..<count]))
                body(Self.headerWireNames[index], UnsafeBufferPointer(rebasing: buffer[0..<count]))
            }
            guard w3c else { return }
            // 00-<32 hex trace id>-<16 hex span id>-<2 hex flags>
            let prefix: StaticString = "00-"
            for index in 0..<3 { buffer[index] = prefix.utf8Start[index] }
            Hex.write(is128Bit ? traceIDHigh : 0, into: buffer, at: 3)
            Hex.write(traceIDLow, into: buffer, at: 19)
            buffer[35] = UInt8(ascii: "-")
            Hex.write(spanID, into: buffer, at: 36)
            buffer[52] = UInt8(ascii: "-")
            buffer[53] = UInt8(ascii: "0")
            buffer[54] = sampled == true ? UInt8(ascii: "1") : UInt8(ascii: "0")
            body("traceparent", UnsafeBufferPointer(rebasing: buffer[0..<55]))
        }
    }

    /// Names of every header a context is read from or written to (removed before writing anew).
    public static let headerWireNames: [StaticString] = ["x-b3-traceid", "x-b3-spanid", "x-b3-parentspanid", "x-b3-sampled", "x-b3-flags", "b3"]
    public static let headerNames = headerWireNames.map(\.description)

    /// Whether `name` (any case) is one of `headerNames` or `traceparent`; nothing is copied or allocated.
    public static func isContextHeader(_ name: String) -> Bool {
        switch name.utf8.count {
        case 2: return equalsLowercase(name, "b3")
        case 10: return equalsLowercase(name, "x-b3-flags")
        case 11: return equalsLowercase(name, "x-b3-spanid") || equalsLowercase(name, "traceparent")
        case 12: return equalsLowercase(name, "x-b3-traceid") || equalsLowercase(name, "x-b3-sampled")
        case 17: return equalsLowercase(name, "x-b3-parentspanid")
        default: return false
        }
    }

    /// `name` in any case is `lower` (lower-case ASCII): byte by byte over the string's own storage,
    /// stopping at the first difference (most names differ in their first byte).
    private static func equalsLowercase(_ name: String, _ lower: StaticString) -> Bool {
        let expected = UnsafeBufferPointer(start: lower.utf8Start, count: lower.utf8CodeUnitCount)
        let compared = name.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            guard bytes.count == expected.count else { return false }
            for index in 0..<bytes.count {
                let byte = bytes[index], wanted = expected[index]
                if byte != wanted && !(byte >= 65 && byte <= 90 && byte | 0x20 == wanted) { return false }
            }
            return true
        }
        return compared ?? (name.lowercased() == lower.description)
    }
}
