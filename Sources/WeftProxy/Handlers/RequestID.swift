import WeftTelemetry

/// `x-request-id` values: random version-4 UUIDs, as Envoy makes them. Drawn from a xoshiro256**
/// generator seeded once from the system's, because Foundation's `UUID()` opens and reads
/// /dev/urandom on every call (three syscalls a request on the data path). Unique, not secret.
enum RequestID {
    /// A new id as a String.
    static func next() -> String {
        withNext { String(decoding: $0, as: UTF8.self) }
    }

    /// A new id's 36 characters, written into a buffer on the stack (a forwarded request's id goes
    /// into its head as bytes: no String, no array).
    static func withNext<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        let (high, low) = FastRandom.pair()
        // Version 4, variant 10xx.
        let words = ((high & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000, (low & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000)
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 36) { text in
            var position = 0
            for nibble in 0..<32 {
                // 8-4-4-4-12 digits.
                if nibble == 8 || nibble == 12 || nibble == 16 || nibble == 20 {
                    text[position] = UInt8(ascii: "-")
                    position += 1
                }
                let word = nibble < 16 ? words.0 : words.1
                text[position] = Hex.digit(UInt8(truncatingIfNeeded: word >> UInt64(60 - (nibble % 16) * 4)) & 0xF)
                position += 1
            }
            return body(UnsafeBufferPointer(text))
        }
    }
}
