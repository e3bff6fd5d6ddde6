import NIOConcurrencyHelpers

/// The data path's random numbers (request ids, fault percentages): a xoshiro256** generator
/// seeded once from the system's, because each draw from the system generator is a syscall.
enum FastRandom {
    private static let generator = NIOLockedValueBox(Xoshiro256StarStar(seed: SystemRandomNumberGenerator()))

    static func pair() -> (UInt64, UInt64) {
        generator.withLockedValue { ($0.next(), $0.next()) }
    }

    /// A number in [0, 1).
    static func unit() -> Double {
        Double(generator.withLockedValue { $0.next() } >> 11) / Double(UInt64(1) << 53)
    }

    /// Whether an event of `percent` (0...100) chance happens this time.
    static func chance(_ percent: Double) -> Bool {
        if percent >= 100 { return true }
        if percent <= 0 { return false }
        let draw = Double(generator.withLockedValue { $0.next() } >> 11) / Double(1 << 53) * 100
        return draw < percent
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
