/// RFC 9110's token characters and ASCII case, on bytes: one at a time, or eight in a word.
public enum HTTPToken {
    /// A bit per token byte (RFC 9110 tchar: `!#$%&'*+-.^_`|~`, digits, letters), below 64 and from 64 to 127:
    /// one shift and test per byte of every header name read.
    @usableFromInline static let tokenBitsLow: UInt64 = 0x03FF_6CFA_0000_0000
    @usableFromInline static let tokenBitsHigh: UInt64 = 0x57FF_FFFF_C7FF_FFFE

    @inlinable @inline(__always)
    public static func isTokenByte(_ byte: UInt8) -> Bool {
        byte < 64 ? (tokenBitsLow >> byte) & 1 != 0 : byte < 128 && (tokenBitsHigh >> (byte &- 64)) & 1 != 0
    }

    /// `element` is the token `token` but for ASCII letters' case (a list element read from a value).
    public static func equalsIgnoringCase(_ element: UnsafeBufferPointer<UInt8>, _ token: StaticString) -> Bool {
        equalsIgnoringCase(element, UnsafeBufferPointer(start: token.utf8Start, count: token.utf8CodeUnitCount))
    }

    /// `lhs` and `rhs` are the same bytes but for ASCII letters' case.
    public static func equalsIgnoringCase(_ lhs: UnsafeBufferPointer<UInt8>, _ rhs: UnsafeBufferPointer<UInt8>) -> Bool {
        guard lhs.count == rhs.count else { return false }
        guard let left = lhs.baseAddress, let right = rhs.baseAddress else { return true }
        return sameIgnoringCase(left, right, count: lhs.count)
    }

    /// The `count` bytes at `lhs` and at `rhs` are the same but for ASCII letters' case: eight at
    /// a time, the last word overlapping the one before, compared as they are and lower-cased only
    /// where they differ (names and tokens looked up are lower-case, and so are most of those
    /// received). A byte at a time, each lower-cased, was ~14 instructions a byte.
    @inline(never)
    static func sameIgnoringCase(_ lhs: UnsafePointer<UInt8>, _ rhs: UnsafePointer<UInt8>, count: Int) -> Bool {
        guard count >= 8 else {
            if count >= 4 {
                // Two overlapping four-byte words each side (`host`, `upgrade`), zero-extended.
                let left = UnsafeRawPointer(lhs), right = UnsafeRawPointer(rhs)
                let firstLeft = UInt64(left.loadUnaligned(as: UInt32.self)), firstRight = UInt64(right.loadUnaligned(as: UInt32.self))
                let lastLeft = UInt64(left.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self))
                let lastRight = UInt64(right.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self))
                return pairSameIgnoringCase(firstLeft, firstRight, lastLeft, lastRight)
            }
            for offset in 0..<count where lhs[offset] != rhs[offset] {
                if lower(lhs[offset]) != lower(rhs[offset]) { return false }
            }
            return true
        }
        let last = count &- 8
        // Most names looked up are 8 to 16 bytes: two words each side, without the loop's bookkeeping.
        if count <= 16 {
            let left = UnsafeRawPointer(lhs), right = UnsafeRawPointer(rhs)
            let firstLeft = left.loadUnaligned(as: UInt64.self), firstRight = right.loadUnaligned(as: UInt64.self)
            let lastLeft = left.loadUnaligned(fromByteOffset: last, as: UInt64.self), lastRight = right.loadUnaligned(fromByteOffset: last, as: UInt64.self)
            return pairSameIgnoringCase(firstLeft, firstRight, lastLeft, lastRight)
        }
        var offset = 0
        while true {
            let at = Swift.min(offset, last)
            let left = UnsafeRawPointer(lhs).loadUnaligned(fromByteOffset: at, as: UInt64.self)
            let right = UnsafeRawPointer(rhs).loadUnaligned(fromByteOffset: at, as: UInt64.self)
            if left != right, !wordsSameIgnoringCase(left, right) { return false }
            if at == last { return true }
            offset &+= 8
        }
    }

    /// A name's first and last word on each side (overlapping when it is shorter than two words)
    /// are the same but for case: equal words, the common case, without lowering either.
    @inline(__always)
    static func pairSameIgnoringCase(_ firstLeft: UInt64, _ firstRight: UInt64, _ lastLeft: UInt64, _ lastRight: UInt64) -> Bool {
        if firstLeft == firstRight && lastLeft == lastRight { return true }
        return (firstLeft == firstRight || wordsSameIgnoringCase(firstLeft, firstRight)) && (lastLeft == lastRight || wordsSameIgnoringCase(lastLeft, lastRight))
    }

    /// Out of line: its constants would take the registers of the common case, words that are equal.
    @inline(never)
    static func wordsSameIgnoringCase(_ left: UInt64, _ right: UInt64) -> Bool {
        lowered(left) == lowered(right)
    }

    /// `byte` with A–Z lower-cased (only letters: `^` and `~` differ by the same bit).
    @inlinable
    public static func lower(_ byte: UInt8) -> UInt8 {
        byte &- 65 < 26 ? byte | 0x20 : byte
    }

    /// The position of the first byte from `start` that cannot be in a request target (a space, a
    /// control character or DEL), or `bytes.count`: eight bytes at a time.
    public static func firstSpaceOrControlByte(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        firstByte(below: 0x21, orDELIn: bytes, from: start)
    }

    @inline(__always)
    private static func firstByte(below limit: UInt8, orDELIn bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        let end = bytes.count
        var index = start
        if let base = bytes.baseAddress {
            let ones: UInt64 = 0x0101_0101_0101_0101
            let highs: UInt64 = 0x8080_8080_8080_8080
            while index &+ 8 <= end {
                let word = UInt64(littleEndian: UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
                let below = (word &- ones &* UInt64(limit)) & ~word & highs
                let del = word ^ (ones &* 0x7F)
                let isDEL = (del &- ones) & ~del & highs
                let flagged = below | isDEL
                if flagged != 0 { return index &+ flagged.trailingZeroBitCount >> 3 }
                index &+= 8
            }
        }
        while index < end {
            let byte = bytes[index]
            if byte < limit || byte == 0x7F { return index }
            index &+= 1
        }
        return end
    }

    /// Eight bytes with A–Z lower-cased, as `lower(_:)` does each (only letters; bytes of
    /// 0x80 and up are left as they are).
    @inline(__always)
    static func lowered(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let low7 = word & (ones &* 0x7F)
        // Per byte, no carry out of it: the high bit says "at least A", "past Z".
        let atLeastA = low7 &+ ones &* (0x80 - 0x41)
        let pastZ = low7 &+ ones &* (0x80 - 0x5B)
        let upper = atLeastA & ~pastZ & ~word & (ones &* 0x80)
        return word | (upper >> 2)
    }
}
