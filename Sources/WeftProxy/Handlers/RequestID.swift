import NIOConcurrencyHelpers

/// `x-request-id` values: random version-4 UUIDs, as Envoy makes them. Drawn from a xoshiro256**
/// generator seeded once from the system's, because Foundation's `UUID()` opens and reads
/// /dev/urandom on every call (three syscalls a request on the data path). Unique, not secret.
enum RequestID {
    private static let generator = NIOLockedValueBox(Xoshiro256StarStar(seed: SystemRandomNumberGenerator()))
    private static let hex = Array("0123456789abcdef".utf8)

    static func next() -> String {
        let (high, low) = generator.withLockedValue { ($0.next(), $0.next()) }
        // Version 4, variant 10xx.
        let bytesHigh = (high & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000
        let bytesLow = (low & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        var text = [UInt8]()
        text.reserveCapacity(36)
        for (index, word) in [bytesHigh, bytesLow].enumerated() {
            for nibble in 0..<16 {
                if (index == 0 && (nibble == 8 || nibble == 12)) || (index == 1 && (nibble == 0 || nibble == 4)) { text.append(UInt8(ascii: "-")) }
                text.append(hex[Int((word >> UInt64(60 - nibble * 4)) & 0xF)])
            }
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// xoshiro256** (Blackman and Vigna): fast, and good enough for identifiers.
struct Xoshiro256StarStar: RandomNumberGenerator {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    init(seed: some RandomNumberGenerator) {
        var source = seed
        state = (source.next(), source.next(), source.next(), source.next())
        if state == (0, 0, 0, 0) { state.0 = 1 }
    }

    mutating func next() -> UInt64 {
        let result = rotate(state.1 &* 5, 7) &* 9
        let shifted = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= shifted
        state.3 = rotate(state.3, 45)
        return result
    }

    private func rotate(_ value: UInt64, _ count: UInt64) -> UInt64 { (value << count) | (value >> (64 - count)) }
}
