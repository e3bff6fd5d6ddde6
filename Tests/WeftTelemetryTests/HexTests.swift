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
}
