/// A consistent-hash table over a cluster's endpoints: a ring (Ketama-style, Envoy's ring_hash) or
/// a Maglev lookup table. Hashes are stable across processes, so every proxy maps a key alike.
public struct ConsistentHashTable: Sendable {
    private enum Storage: Sendable {
        /// Sorted (hash, endpoint index) points.
        case ring([(UInt64, Int)])
        /// Endpoint index per slot.
        case maglev([Int32])
    }
    private let storage: Storage
    /// The endpoint keys the table was built over, in order.
    public let endpointKeys: [String]

    public init(endpoints: [EndpointGroup.Endpoint], table: HashPolicy.Table) {
        endpointKeys = endpoints.map(\.key)
        switch table {
        case .ring(let minimumSize):
            storage = .ring(Self.ring(endpoints, minimumSize: max(1, min(minimumSize, HashPolicy.maximumRingSize))))
        case .maglev(let size):
            storage = .maglev(Self.maglev(endpointKeys, size: Self.prime(atLeast: max(size, endpoints.count))))
        }
    }

    /// The index of the endpoint `hash` maps to.
    public func lookup(_ hash: UInt64) -> Int? {
        switch storage {
        case .ring(let points):
            guard !points.isEmpty else { return nil }
            var low = 0
            var high = points.count
            while low < high {
                let middle = (low + high) / 2
                if points[middle].0 < hash { low = middle + 1 } else { high = middle }
            }
            return points[low == points.count ? 0 : low].1
        case .maglev(let slots):
            guard !slots.isEmpty, !endpointKeys.isEmpty else { return nil }
            return Int(slots[Int(hash % UInt64(slots.count))])
        }
    }

    /// Each endpoint gets points in proportion to its weight, at least `minimumSize` in all.
    private static func ring(_ endpoints: [EndpointGroup.Endpoint], minimumSize: Int) -> [(UInt64, Int)] {
        guard !endpoints.isEmpty else { return [] }
        let weights = endpoints.map { Double(max($0.weight, 1)) }
        let total = weights.reduce(0, +)
        var points: [(UInt64, Int)] = []
        points.reserveCapacity(minimumSize + endpoints.count)
        for (index, endpoint) in endpoints.enumerated() {
            let count = Int((Double(minimumSize) * weights[index] / total).rounded(.up))
            for replica in 0..<count { points.append((StableHash.hash("\(endpoint.key)_\(replica)"), index)) }
        }
        points.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
        return points
    }

    /// Maglev's population: each endpoint walks its own permutation of the slots, taking turns.
    private static func maglev(_ keys: [String], size: Int) -> [Int32] {
        guard !keys.isEmpty else { return [] }
        let modulus = UInt64(size)
        let offsets = keys.map { StableHash.hash($0) % modulus }
        let skips = keys.map { StableHash.hash($0 + "#skip") % (modulus - 1) + 1 }
        var next = [UInt64](repeating: 0, count: keys.count)
        var slots = [Int32](repeating: -1, count: size)
        var filled = 0
        while filled < size {
            for index in keys.indices where filled < size {
                var slot = Int((offsets[index] &+ next[index] &* skips[index]) % modulus)
                while slots[slot] >= 0 {
                    next[index] += 1
                    slot = Int((offsets[index] &+ next[index] &* skips[index]) % modulus)
                }
                slots[slot] = Int32(index)
                next[index] += 1
                filled += 1
            }
        }
        return slots
    }

    static func prime(atLeast value: Int) -> Int {
        var candidate = max(value, 2)
        while !isPrime(candidate) { candidate += 1 }
        return candidate
    }

    private static func isPrime(_ value: Int) -> Bool {
        if value < 4 { return value >= 2 }
        if value % 2 == 0 { return false }
        var divisor = 3
        while divisor * divisor <= value {
            if value % divisor == 0 { return false }
            divisor += 2
        }
        return true
    }
}

/// A 64-bit hash that is the same in every process (Swift's Hasher is seeded per process):
/// FNV-1a, then a MurmurHash3 finaliser so nearby keys land far apart.
public enum StableHash {
    public static func hash(_ text: String) -> UInt64 {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            value ^= UInt64(byte)
            value &*= 0x0000_0100_0000_01b3
        }
        value ^= value >> 33
        value &*= 0xff51_afd7_ed55_8ccd
        value ^= value >> 33
        value &*= 0xc4ce_b9fe_1a85_ec53
        value ^= value >> 33
        return value
    }
}
