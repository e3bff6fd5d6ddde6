/// A duration as Istio accepts it: Go's `time.ParseDuration` syntax ("1h2m3.5s", "100ms", "3m")
/// which also covers protobuf JSON's seconds form ("1.500s").
public struct IstioDuration: Codable, Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The duration in nanoseconds.
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }
    public static func milliseconds(_ value: Int64) -> IstioDuration { .init(nanoseconds: value * 1_000_000) }
    public static func seconds(_ value: Int64) -> IstioDuration { .init(nanoseconds: value * 1_000_000_000) }

    public var seconds: Double { Double(nanoseconds) / 1e9 }

    /// Why a duration string does not parse.
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Parses Go's duration syntax; throws with a reason a person understands.
    public init(parsing text: String) throws(ParseError) {
        let units: [(String, Double)] = [("ns", 1), ("us", 1e3), ("µs", 1e3), ("μs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9)]
        var rest = Substring(text)
        var sign = 1.0
        if rest.hasPrefix("-") { sign = -1; rest = rest.dropFirst() } else if rest.hasPrefix("+") { rest = rest.dropFirst() }
        guard !rest.isEmpty else { throw ParseError(description: "invalid duration \"\(text)\": empty") }
        if rest == "0" { self.nanoseconds = 0; return }
        var total = 0.0
        while !rest.isEmpty {
            let numberEnd = rest.firstIndex { !($0.isASCII && ($0.isNumber || $0 == ".")) } ?? rest.endIndex
            let numberText = rest[..<numberEnd]
            guard !numberText.isEmpty, numberText != ".", numberText.filter({ $0 == "." }).count <= 1, let number = Double(numberText) else {
                throw ParseError(description: "invalid duration \"\(text)\": expected a number before the unit (for example \"1.5s\", \"100ms\", \"1h2m\")")
            }
            rest = rest[numberEnd...]
            let unitEnd = rest.firstIndex { $0.isASCII && ($0.isNumber || $0 == ".") } ?? rest.endIndex
            let unit = String(rest[..<unitEnd])
            guard let scale = units.first(where: { $0.0 == unit })?.1 else {
                let shown = unit.isEmpty ? "no unit" : "unit \"\(unit)\""
                throw ParseError(description: "invalid duration \"\(text)\": \(shown); use one of ns, us, ms, s, m, h")
            }
            total += number * scale
            rest = rest[unitEnd...]
        }
        guard total * sign < 9.2e18, total * sign > -9.2e18 else {
            throw ParseError(description: "invalid duration \"\(text)\": out of range")
        }
        self.nanoseconds = Int64((total * sign).rounded())
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try IstioDuration(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// Protobuf JSON's form: whole seconds with up to nine fractional digits ("0.500s").
    public var description: String {
        let negative = nanoseconds < 0
        let magnitude = nanoseconds.magnitude
        let whole = magnitude / 1_000_000_000
        let fraction = magnitude % 1_000_000_000
        var text = negative ? "-\(whole)" : "\(whole)"
        if fraction != 0 {
            var digits = String(fraction)
            digits = String(repeating: "0", count: 9 - digits.count) + digits
            while digits.hasSuffix("0") { digits.removeLast() }
            text += "." + digits
        }
        return text + "s"
    }

    public static func < (lhs: IstioDuration, rhs: IstioDuration) -> Bool { lhs.nanoseconds < rhs.nanoseconds }
}
