/// `x-request-id` values: random version-4 UUIDs, as Envoy makes them. Drawn from a xoshiro256**
/// generator seeded once from the system's, because Foundation's `UUID()` opens and reads
/// /dev/urandom on every call (three syscalls a request on the data path). Unique, not secret.
enum RequestID {
    private static let hex = Array("0123456789abcdef".utf8)

    static func next() -> String {
        let (high, low) = FastRandom.pair()
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
