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
        with(draw(), body)
    }

    /// A new id's random bits, written out later (and as often as needed) by `with(_:_:)`.
    static func draw() -> (UInt64, UInt64) {
        FastRandom.pair()
    }

    /// The 36 characters of the id `bits` (from `draw()`), written into a buffer on the stack.
    static func with<Result>(_ bits: (UInt64, UInt64), _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        let (high, low) = bits
        // Version 4, variant 10xx.
        let words = ((high & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000, (low & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000)
        // The 32 digits after the 36 characters, then moved into place around the dashes (8-4-4-4-12).
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 68) { scratch in
            let digits = UnsafeMutableBufferPointer(rebasing: scratch[36..<68])
            Hex.write(words.0, into: digits, at: 0)
            Hex.write(words.1, into: digits, at: 16)
            var from = 0, to = 0
            func move(_ run: Int, dash: Bool) {
                for index in 0..<run { scratch[to + index] = digits[from + index] }
                from += run
                to += run
                if dash {
                    scratch[to] = UInt8(ascii: "-")
                    to += 1
                }
            }
            move(8, dash: true)
            move(4, dash: true)
            move(4, dash: true)
            move(4, dash: true)
            move(12, dash: false)
            return body(UnsafeBufferPointer(rebasing: scratch[0..<36]))
        }
    }
}
