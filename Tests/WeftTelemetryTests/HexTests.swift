import Testing
import WeftTelemetry

/// Ids written as hex eight digits at a time must read as `String(radix: 16)` writes them.
@Suite("Hex ids")
struct HexTests {
    static func written(_ value: UInt64, at offset: Int = 0) -> String {
        var bytes = [UInt8](repeating: UInt8(ascii: "."), count: offset + 16 + 3)
        bytes.withUnsafeMutableBufferPointer { Hex.write(value, into: $0, at: offset) }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func expected(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    @Test("every digit value at every place, and random ids, as String(radix: 16) pads them; nothing written outside the 16")
    func digits() {
        for place in 0..<16 {
            for digit in UInt64(0)...15 {
                let value = digit << UInt64(place * 4)
                #expect(Self.written(value) == Self.expected(value) + "...")
            }
        }
        var generator = SystemRandomNumberGenerator()
        for offset in 0..<9 {
            let value = generator.next() as UInt64
            #expect(Self.written(value, at: offset) == String(repeating: ".", count: offset) + Self.expected(value) + "...")
        }
        #expect(Self.written(.max) == "ffffffffffffffff...")
        #expect(Hex.thirtyTwo(0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210) == "0123456789abcdeffedcba9876543210")
    }

    /// The reading a digit at a time, as the reference.
    static func digitByDigit(_ text: [UInt8]) -> UInt64? {
        guard !text.isEmpty, text.count <= 16 else { return nil }
        var value: UInt64 = 0
        for byte in text {
            guard let nibble = UInt8(String(UnicodeScalar(byte)), radix: 16) else { return nil }
            value = value << 4 | UInt64(nibble)
        }
        return value
    }

    @Test("ids read eight digits at a time as a digit at a time: every byte value at every place of 8-, 16- and odd-length ids, either case, and random ids")
    func reading() {
        for length in [1, 7, 8, 9, 15, 16] {
            for place in 0..<length {
                for byte in UInt8(0)...255 {
                    var text = Array("0aB1cD2eF3456789".utf8.prefix(length))
                    text[place] = byte
                    let read = text.withUnsafeBufferPointer { Hex.sixtyFour($0) }
                    if read != Self.digitByDigit(text) { Issue.record("\(text) read as \(String(describing: read))") }
                }
            }
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let value = generator.next() as UInt64
            let upper = Self.expected(value).uppercased()
            #expect(Hex.sixtyFour(Self.expected(value)) == value)
            #expect(Hex.sixtyFour(upper) == value)
            let high = generator.next() as UInt64
            let id = Hex.thirtyTwo(high, value)
            #expect(Hex.traceID(id).map { [$0.0, $0.1] } == [high, value])
        }
        #expect(Hex.sixtyFour("") == nil)
        #expect(Hex.sixtyFour("0123456789abcdef0") == nil)
    }
}
