import Synchronization

/// The data path's random numbers (request and trace ids, fault and sampling percentages): SplitMix64
/// over one atomic counter, seeded once from the system's generator (each draw from which is a
/// syscall). A draw is one atomic add and a few multiplications: no lock, which cost about as much
/// again as the rest of an id (two lock/unlock pairs a request, measured with callgrind).
/// Every draw mixes a distinct counter value, so draws do not repeat within 2^64; not for secrets.
enum FastRandom {
    private static let counter = Atomic<UInt64>(.random(in: .min ... .max))

    static func next() -> UInt64 {
        var mixed = counter.wrappingAdd(0x9E37_79B9_7F4A_7C15, ordering: .relaxed).newValue
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    static func pair() -> (UInt64, UInt64) {
        (next(), next())
    }

    /// A number in [0, 1).
    static func unit() -> Double {
        Double(next() >> 11) / Double(UInt64(1) << 53)
    }

    /// Whether an event of `percent` (0...100) chance happens this time.
    static func chance(_ percent: Double) -> Bool {
        if percent >= 100 { return true }
        if percent <= 0 { return false }
        return unit() * 100 < percent
    }
}
