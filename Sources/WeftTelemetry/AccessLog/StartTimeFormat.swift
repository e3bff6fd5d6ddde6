/// How `%START_TIME(FMT)%` prints the request's start, in UTC as Envoy prints it: strftime's
/// specifiers plus Envoy's `%f` / `%1f`…`%9f` (fractions of a second), `%s` (Unix seconds) and
/// `%E3S`-style seconds with N fractional digits. The default is Envoy's `2016-04-15T20:17:00.310Z`.
public struct StartTimeFormat: Sendable, Hashable {
    /// The pattern, nil for Envoy's default.
    public let pattern: String?

    public init(_ pattern: String?) { self.pattern = pattern }

    /// Envoy's default form (no pattern).
    public static let envoy = StartTimeFormat(nil)

    /// A moment as seconds and nanoseconds since the Unix epoch.
    public struct Instant: Sendable, Hashable {
        public var seconds: Int64
        public var nanoseconds: Int32
        public init(seconds: Int64, nanoseconds: Int32) {
            self.seconds = seconds
            self.nanoseconds = nanoseconds
        }
    }

    public func render(_ instant: Instant) -> String {
        let civil = CivilTime(instant.seconds)
        guard let pattern else {
            if (1000...9999).contains(civil.year) { return Self.envoyDefault(civil, milliseconds: Int(instant.nanoseconds) / 1_000_000) }
            var out = ""
            out.reserveCapacity(24)
            civil.appendDate(&out)
            out += "T"
            civil.appendTime(&out)
            out += "."
            Self.appendFraction(instant.nanoseconds, digits: 3, to: &out)
            out += "Z"
            return out
        }
        var out = ""
        var scalars = Array(pattern.unicodeScalars)[...]
        while let scalar = scalars.popFirst() {
            guard scalar == "%", let next = scalars.popFirst() else {
                out.unicodeScalars.append(scalar)
                continue
            }
            switch next {
            case "Y": out += String(civil.year)
            case "y": Self.pad(Int(civil.year % 100), 2, &out)
            case "m": Self.pad(civil.month, 2, &out)
            case "d": Self.pad(civil.day, 2, &out)
            case "e": out += civil.day < 10 ? " \(civil.day)" : String(civil.day)
            case "H": Self.pad(civil.hour, 2, &out)
            case "M": Self.pad(civil.minute, 2, &out)
            case "S": Self.pad(civil.second, 2, &out)
            case "j": Self.pad(civil.dayOfYear, 3, &out)
            case "F": civil.appendDate(&out)
            case "T": civil.appendTime(&out)
            case "s": out += String(instant.seconds)
            case "z": out += "+0000"
            case "Z": out += "UTC"
            case "a": out += CivilTime.weekdays[civil.weekday]
            case "b", "h": out += CivilTime.months[civil.month - 1]
            case "n": out += "\n"
            case "t": out += "\t"
            case "%": out += "%"
            case "f": Self.appendFraction(instant.nanoseconds, digits: 9, to: &out)
            case "1"..."9":
                let digits = Int(next.value - 48)
                if scalars.first == "f" {
                    scalars.removeFirst()
                    Self.appendFraction(instant.nanoseconds, digits: digits, to: &out)
                } else {
                    out += "%"
                    out.unicodeScalars.append(next)
                }
            case "E":
                // %E3S: seconds with three fractional digits (%E*S: all nine).
                var lookahead = scalars
                let count = lookahead.popFirst()
                if let count, lookahead.popFirst() == "S", count == "*" || ("1"..."9").contains(count) {
                    scalars = lookahead
                    Self.pad(civil.second, 2, &out)
                    out += "."
                    Self.appendFraction(instant.nanoseconds, digits: count == "*" ? 9 : Int(count.value - 48), to: &out)
                } else {
                    out += "%E"
                }
            default:
                out += "%"
                out.unicodeScalars.append(next)
            }
        }
        return out
    }

    /// `2016-04-15T20:17:00.310Z` written as its 24 bytes: every access log line has one, and the
    /// String put together piece by piece was ~5k instructions.
    static func envoyDefault(_ civil: CivilTime, milliseconds: Int) -> String {
        String(unsafeUninitializedCapacity: 24) { bytes in
            writeDefault(civil, milliseconds: milliseconds, into: bytes)
            return 24
        }
    }

    /// Envoy's default form of `instant` appended to `out` as UTF-8, in double quotes when
    /// `quoted` (a JSON string: it has nothing to escape), without a String made first. False,
    /// with nothing appended, for a pattern or a year outside 1000...9999.
    public func appendDefault(_ instant: Instant, quoted: Bool, to out: inout [UInt8]) -> Bool {
        guard pattern == nil else { return false }
        let civil = CivilTime(instant.seconds)
        guard (1000...9999).contains(civil.year) else { return false }
        let quote = quoted ? 1 : 0
        let start = out.count
        out.append(contentsOf: repeatElement(UInt8(ascii: "\""), count: 24 + 2 * quote))
        out.withUnsafeMutableBufferPointer { all in
            Self.writeDefault(civil, milliseconds: Int(instant.nanoseconds) / 1_000_000,
                         into: UnsafeMutableBufferPointer(rebasing: all[(start + quote)..<(start + quote + 24)]))
        }
        return true
    }

    /// `2016-04-15T20:17:00.310Z` into 24 bytes.
    private static func writeDefault(_ civil: CivilTime, milliseconds: Int, into bytes: UnsafeMutableBufferPointer<UInt8>) {
        func digits(_ value: Int, _ count: Int, at offset: Int) {
            var rest = value
            for place in stride(from: offset + count - 1, through: offset, by: -1) {
                bytes[place] = UInt8(truncatingIfNeeded: 48 + rest % 10)
                rest /= 10
            }
        }
        digits(Int(civil.year), 4, at: 0)
        digits(civil.month, 2, at: 5)
        digits(civil.day, 2, at: 8)
        digits(civil.hour, 2, at: 11)
        digits(civil.minute, 2, at: 14)
        digits(civil.second, 2, at: 17)
        digits(milliseconds, 3, at: 20)
        bytes[4] = UInt8(ascii: "-")
        bytes[7] = UInt8(ascii: "-")
        bytes[10] = UInt8(ascii: "T")
        bytes[13] = UInt8(ascii: ":")
        bytes[16] = UInt8(ascii: ":")
        bytes[19] = UInt8(ascii: ".")
        bytes[23] = UInt8(ascii: "Z")
    }

    static func pad(_ value: Int, _ width: Int, _ out: inout String) {
        let text = String(value)
        if text.count < width { out += String(repeating: "0", count: width - text.count) }
        out += text
    }

    static func appendFraction(_ nanoseconds: Int32, digits: Int, to out: inout String) {
        var value = Int(nanoseconds)
        for _ in digits..<9 { value /= 10 }
        pad(value, digits, &out)
    }
}

/// A Unix time as a UTC calendar date and time of day (Howard Hinnant's days-to-civil).
struct CivilTime {
    var year: Int64
    var month: Int
    var day: Int
    var hour: Int
    var minute: Int
    var second: Int
    var dayOfYear: Int
    var weekday: Int

    static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    /// Days of a common year before each month.
    static let daysBeforeMonth = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    init(_ unixSeconds: Int64) {
        let days = unixSeconds >= 0 ? unixSeconds / 86_400 : (unixSeconds - 86_399) / 86_400
        let secondOfDay = Int(unixSeconds - days * 86_400)
        hour = secondOfDay / 3600
        minute = secondOfDay / 60 % 60
        second = secondOfDay % 60
        weekday = Int(((days % 7) + 11) % 7)  // 1970-01-01 was a Thursday
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYearFromMarch = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYearFromMarch + 2) / 153
        day = Int(dayOfYearFromMarch - (153 * monthFromMarch + 2) / 5 + 1)
        month = Int(monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9)
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        dayOfYear = Self.daysBeforeMonth[month - 1] + day + (leap && month > 2 ? 1 : 0)
    }

    func appendDate(_ out: inout String) {
        out += String(year)
        out += "-"
        StartTimeFormat.pad(month, 2, &out)
        out += "-"
        StartTimeFormat.pad(day, 2, &out)
    }

    func appendTime(_ out: inout String) {
        StartTimeFormat.pad(hour, 2, &out)
        out += ":"
        StartTimeFormat.pad(minute, 2, &out)
        out += ":"
        StartTimeFormat.pad(second, 2, &out)
    }
}
