/// Reads a `ListOfSpans` body as sidecars post it, byte by byte, into spans: Foundation's
/// `JSONDecoder` took ~320k instructions a span (most of what the built-in collector spends, on
/// the cores the proxies share). It reads Zipkin's fields alone, strictly: anything else (a key
/// Zipkin does not define, a null, a number with a fraction, a string that is not UTF-8, bytes
/// after the list) gives nil, and the caller decodes the body with `JSONDecoder`, which accepts
/// it or says why not. What it reads is what `JSONDecoder` reads from the same bytes (a test
/// holds the two to that).
struct ZipkinSpanReader {
    typealias Span = ZipkinSpanStore.Span

    private let bytes: [UInt8]
    private var index = 0

    private init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The spans of `body`, or nil for a body to leave to `JSONDecoder`.
    static func read(_ body: [UInt8]) -> [Span]? {
        var reader = ZipkinSpanReader(body)
        guard let spans = reader.list({ $0.span() }) else { return nil }
        reader.skipWhitespace()
        return reader.index == body.count ? spans : nil
    }

    // MARK: values

    private mutating func span() -> Span? {
        var span = Span(traceId: "", id: "")
        var seen = 0
        let read = members { key, reader in
            guard let field = Self.spanFields[key], seen & (1 << field) == 0 else { return false }
            seen |= 1 << field
            switch field {
            case 0: return reader.string().map { span.traceId = $0 } != nil
            case 1: return reader.string().map { span.id = $0 } != nil
            case 2: return reader.string().map { span.parentId = $0 } != nil
            case 3: return reader.string().map { span.name = $0 } != nil
            case 4: return reader.string().map { span.kind = $0 } != nil
            case 5: return reader.integer().map { span.timestamp = $0 } != nil
            case 6: return reader.integer().map { span.duration = $0 } != nil
            case 7: return reader.boolean().map { span.debug = $0 } != nil
            case 8: return reader.boolean().map { span.shared = $0 } != nil
            case 9: return reader.endpoint().map { span.localEndpoint = $0 } != nil
            case 10: return reader.endpoint().map { span.remoteEndpoint = $0 } != nil
            case 11: return reader.list({ $0.annotation() }).map { span.annotations = $0 } != nil
            default: return reader.tags().map { span.tags = $0 } != nil
            }
        }
        // traceId and id are required.
        return read && seen & 0b11 == 0b11 ? span : nil
    }

    /// A span's keys, each a bit of the ones read (a key given twice is left to `JSONDecoder`).
    private static let spanFields: [String: Int] = [
        "traceId": 0, "id": 1, "parentId": 2, "name": 3, "kind": 4, "timestamp": 5, "duration": 6, "debug": 7, "shared": 8,
        "localEndpoint": 9, "remoteEndpoint": 10, "annotations": 11, "tags": 12,
    ]

    private mutating func endpoint() -> Span.Endpoint? {
        var endpoint = Span.Endpoint()
        var seen = 0
        let read = members { key, reader in
            let field: Int
            switch key {
            case "serviceName": field = 0
            case "ipv4": field = 1
            case "ipv6": field = 2
            case "port": field = 3
            default: return false
            }
            guard seen & (1 << field) == 0 else { return false }
            seen |= 1 << field
            switch field {
            case 0: return reader.string().map { endpoint.serviceName = $0 } != nil
            case 1: return reader.string().map { endpoint.ipv4 = $0 } != nil
            case 2: return reader.string().map { endpoint.ipv6 = $0 } != nil
            default: return reader.integer().flatMap { Int(exactly: $0) }.map { endpoint.port = $0 } != nil
            }
        }
        return read ? endpoint : nil
    }

    private mutating func annotation() -> Span.Annotation? {
        var timestamp: Int64?, value: String?
        let read = members { key, reader in
            switch key {
            case "timestamp" where timestamp == nil: timestamp = reader.integer(); return timestamp != nil
            case "value" where value == nil: value = reader.string(); return value != nil
            default: return false
            }
        }
        guard read, let timestamp, let value else { return nil }
        return Span.Annotation(timestamp: timestamp, value: value)
    }

    private mutating func tags() -> [String: String]? {
        var tags: [String: String] = [:]
        let read = members { key, reader in
            guard tags[key] == nil, let value = reader.string() else { return false }
            tags[key] = value
            return true
        }
        return read ? tags : nil
    }

    // MARK: structure

    /// `[` item (`,` item)* `]`, each item read by `item`.
    private mutating func list<Item>(_ item: (inout ZipkinSpanReader) -> Item?) -> [Item]? {
        skipWhitespace()
        guard take(UInt8(ascii: "[")) else { return nil }
        var items: [Item] = []
        skipWhitespace()
        if take(UInt8(ascii: "]")) { return items }
        while true {
            skipWhitespace()
            guard let next = item(&self) else { return nil }
            items.append(next)
            skipWhitespace()
            if take(UInt8(ascii: "]")) { return items }
            guard take(UInt8(ascii: ",")) else { return nil }
        }
    }

    /// `{` key `:` value (`,` …)* `}`: `member` reads each value and says whether it could.
    private mutating func members(_ member: (String, inout ZipkinSpanReader) -> Bool) -> Bool {
        skipWhitespace()
        guard take(UInt8(ascii: "{")) else { return false }
        skipWhitespace()
        if take(UInt8(ascii: "}")) { return true }
        while true {
            skipWhitespace()
            guard let key = string() else { return false }
            skipWhitespace()
            guard take(UInt8(ascii: ":")) else { return false }
            skipWhitespace()
            guard member(key, &self) else { return false }
            skipWhitespace()
            if take(UInt8(ascii: "}")) { return true }
            guard take(UInt8(ascii: ",")) else { return false }
        }
    }

    // MARK: scalars

    /// A string without escapes is its bytes, checked as UTF-8; one with escapes is left to `JSONDecoder`
    /// unless they are the simple ones (a sidecar escapes quotes, backslashes and control characters).
    private mutating func string() -> String? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = index
        var plain = true
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let end = index
                index += 1
                return plain ? text(start..<end) : unescaped(start..<end)
            }
            if byte < 0x20 { return nil }
            if byte == UInt8(ascii: "\\") {
                plain = false
                index += 1
            }
            index += 1
        }
        return nil
    }

    /// The text of bytes without escapes, nil when they are not UTF-8. ASCII (nearly all a sidecar
    /// sends) needs no check; `String(validating:)` ran generic, its metadata looked up each time.
    private func text(_ range: Range<Int>) -> String? {
        bytes.withUnsafeBufferPointer { all in
            let slice = UnsafeBufferPointer(rebasing: all[range])
            return slice.contains(where: { $0 >= 0x80 }) ? String(validating: slice, as: UTF8.self) : String(decoding: slice, as: UTF8.self)
        }
    }

    /// The text of a string with escapes: `\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`, and `\u`
    /// of a character that is not a surrogate; nil for anything else.
    private func unescaped(_ range: Range<Int>) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(range.count)
        var position = range.lowerBound
        while position < range.upperBound {
            let byte = bytes[position]
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                position += 1
                continue
            }
            guard position + 1 < range.upperBound else { return nil }
            switch bytes[position + 1] {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "/"): out.append(UInt8(ascii: "/"))
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                guard position + 6 <= range.upperBound, let scalar = hexScalar(position + 2), let unicode = Unicode.Scalar(scalar) else { return nil }
                out.append(contentsOf: String(Character(unicode)).utf8)
                position += 6
                continue
            default: return nil
            }
            position += 2
        }
        return String(validating: out, as: UTF8.self)
    }

    /// Four hex digits at `position` (a surrogate gives nil: its pair is left to `JSONDecoder`).
    private func hexScalar(_ position: Int) -> UInt32? {
        var value: UInt32 = 0
        for offset in 0..<4 {
            let byte = bytes[position + offset]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: return nil
            }
            value = value << 4 | digit
        }
        return (0xD800...0xDFFF).contains(value) ? nil : value
    }

    /// An integer as JSON writes one (no leading zero, fraction or exponent) that fits in an Int64.
    private mutating func integer() -> Int64? {
        let negative = take(UInt8(ascii: "-"))
        let start = index
        var value: Int64 = 0
        while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
            let (times, overflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowSum) = times.addingReportingOverflow(Int64(bytes[index] - UInt8(ascii: "0")))
            guard !overflow, !overflowSum else { return nil }
            value = sum
            index += 1
        }
        let digits = index - start
        guard digits > 0, digits == 1 || bytes[start] != UInt8(ascii: "0") else { return nil }
        // A fraction or an exponent: not an integer as this reads it.
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") || bytes[index] | 0x20 == UInt8(ascii: "e") { return nil }
        return negative ? -value : value
    }

    private mutating func boolean() -> Bool? {
        if literal("true") { return true }
        if literal("false") { return false }
        return nil
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return false }
        index += count
        return true
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    private mutating func skipWhitespace() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 || bytes[index] == 0x0A || bytes[index] == 0x0D { index += 1 }
    }
}
