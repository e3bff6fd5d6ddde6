/// Lower-case hexadecimal of ids, as Zipkin and B3 write them.
public enum Hex {
    /// Written straight into the string's storage: one allocation (16 bytes is past a small string's 15).
    public static func sixteen(_ value: UInt64) -> String {
        String(unsafeUninitializedCapacity: 16) { buffer in
            write(value, into: buffer, at: 0)
            return 16
        }
    }

    /// A 128-bit id's 32 digits, high half first, in one allocation.
    public static func thirtyTwo(_ high: UInt64, _ low: UInt64) -> String {
        String(unsafeUninitializedCapacity: 32) { buffer in
            write(high, into: buffer, at: 0)
            write(low, into: buffer, at: 16)
            return 32
        }
    }

    /// `value`'s 16 digits, most significant first, at `offset` (eight digits a step: a digit at a
    /// time was ~200 instructions an id, and a forwarded request writes four or five).
    public static func write(_ value: UInt64, into buffer: UnsafeMutableBufferPointer<UInt8>, at offset: Int) {
        precondition(offset >= 0 && offset + 16 <= buffer.count, "16 hex digits past the buffer's end")
        guard let base = buffer.baseAddress else { return }
        let start = UnsafeMutableRawPointer(base + offset)
        start.storeBytes(of: eightDigits(UInt32(truncatingIfNeeded: value >> 32)), as: UInt64.self)
        start.storeBytes(of: eightDigits(UInt32(truncatingIfNeeded: value)), toByteOffset: 8, as: UInt64.self)
    }

    /// `value`'s eight digits as the bytes of a word, in memory order: each nibble spread to a byte
    /// of its own, then '0' added, and 'a' - '0' - 10 more where the nibble is 10 or more.
    @inline(__always)
    static func eightDigits(_ value: UInt32) -> UInt64 {
        var spread = UInt64(value)
        spread = ((spread & 0xFFFF_0000) << 16) | (spread & 0xFFFF)
        spread = ((spread & 0x0000_FF00_0000_FF00) << 8) | (spread & 0x0000_00FF_0000_00FF)
        spread = ((spread & 0x00F0_00F0_00F0_00F0) << 4) | (spread & 0x000F_000F_000F_000F)
        // Byte i holds nibble i (the least significant first); + 6 carries into bit 4 for 10...15.
        let letters = ((spread &+ 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101
        let digits = spread &+ 0x3030_3030_3030_3030 &+ letters &* 0x27
        // The most significant digit is the highest byte: big-endian puts it first in memory.
        return digits.bigEndian
    }

    /// The lower-case hex digit for `nibble` (0–15).
    @inline(__always)
    public static func digit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") - 10 + nibble
    }

    /// 1–16 hex digits (B3 ids; a shorter one is left-padded), either case; nil for anything else.
    public static func sixtyFour(_ text: String) -> UInt64? {
        var text = text
        return text.withUTF8 { sixtyFour($0) }
    }

    /// A 16- or 32-digit trace id (B3 also takes shorter ones, as Envoy does): (high, low, 128-bit?).
    public static func traceID(_ text: String) -> (UInt64, UInt64, Bool)? {
        var text = text
        return text.withUTF8 { traceID($0) }
    }

    /// `sixtyFour(_:)` on a header value's bytes: no String made.
    public static func sixtyFour(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64? {
        guard !bytes.isEmpty, bytes.count <= 16 else { return nil }
        return value(bytes)
    }

    /// `traceID(_:)` on a header value's bytes: no String made.
    public static func traceID(_ bytes: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64, Bool)? {
        let count = bytes.count
        guard count > 16 else { return sixtyFour(bytes).map { (0, $0, false) } }
        guard count <= 32, let high = value(UnsafeBufferPointer(rebasing: bytes[..<(count - 16)])),
              let low = value(UnsafeBufferPointer(rebasing: bytes[(count - 16)...])) else { return nil }
        return (high, low, true)
    }

    /// Up to 16 hex digits (either case) as a number; nil at any other byte. Eight digits a step
    /// where there are eight (a B3 id is 16 or 32 digits): a digit at a time was ~12 instructions.
    private static func value(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64? {
        guard let base = bytes.baseAddress else { return 0 }
        let count = bytes.count
        var value: UInt64 = 0
        var offset = 0
        while count &- offset >= 8 {
            guard let eight = eightDigitsValue(UnsafeRawPointer(base + offset).loadUnaligned(as: UInt64.self)) else { return nil }
            value = value << 32 | UInt64(eight)
            offset &+= 8
        }
        while offset < count {
            guard let nibble = digitValue(base[offset]) else { return nil }
            value = value << 4 | UInt64(nibble)
            offset &+= 1
        }
        return value
    }

    /// One hex digit's value, either case; nil for any other byte.
    @inline(__always)
    static func digitValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 48...57: byte &- 48
        case 97...102: byte &- 87
        case 65...70: byte &- 55
        default: nil
        }
    }

    /// The value of eight hex digits (either case) loaded as a word in memory order (the first,
    /// most significant digit in the lowest byte); nil when any byte is not a hex digit.
    @inline(__always)
    static func eightDigitsValue(_ word: UInt64) -> UInt32? {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high = ones &* 0x80
        guard word & high == 0 else { return nil }
        // 'A'...'F' folded to 'a'...'f'; digits keep their 0x20 bit. Every byte is below 0x80, so a
        // byte's "at least" test (its high bit after an add) carries into no other byte.
        let folded = word | (ones &* 0x20)
        let isDigit = (folded &+ ones &* (0x80 - 0x30)) & ~(folded &+ ones &* (0x80 - 0x3A)) & high
        let isLetter = (folded &+ ones &* (0x80 - 0x61)) & ~(folded &+ ones &* (0x80 - 0x67)) & high
        // Each byte a digit or a letter; a digit's byte had its 0x20 bit before folding (0x10...0x19 fold into digits).
        guard isDigit | isLetter == high, (word << 2) & isDigit == isDigit else { return nil }
        let nibbles = (folded & (ones &* 0x0F)) &+ (isLetter >> 7) &* 9
        // The first digit most significant: bytes reversed, then nibbles packed in pairs, fours, eights.
        var packed = nibbles.byteSwapped
        packed = (packed | (packed >> 4)) & 0x00FF_00FF_00FF_00FF
        packed = (packed | (packed >> 8)) & 0x0000_FFFF_0000_FFFF
        packed = (packed | (packed >> 16)) & 0x0000_0000_FFFF_FFFF
        return UInt32(truncatingIfNeeded: packed)
    }
}
