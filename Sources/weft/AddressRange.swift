/// An IPv4 CIDR range (`198.18.0.0/15`): its addresses by index, and whether it meets another.
struct AddressRange: CustomStringConvertible, Equatable {
    let base: UInt32
    let prefixLength: Int

    init?(_ text: String) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let bits = Int(parts[1]), (0...32).contains(bits) else { return nil }
        let octets = parts[0].split(separator: ".", omittingEmptySubsequences: false).compactMap { UInt32($0) }
        guard octets.count == 4, octets.allSatisfy({ $0 <= 255 }) else { return nil }
        let value = octets.reduce(UInt32(0)) { $0 << 8 | $1 }
        prefixLength = bits
        base = value & Self.mask(bits)
    }

    static func mask(_ bits: Int) -> UInt32 { bits == 0 ? 0 : UInt32.max << UInt32(32 - bits) }

    var size: Int { 1 << (32 - prefixLength) }

    /// The address `index` places past the range's first.
    func address(at index: Int) -> String {
        let value = base &+ UInt32(index)
        return "\(value >> 24).\((value >> 16) & 0xff).\((value >> 8) & 0xff).\(value & 0xff)"
    }

    func overlaps(_ other: AddressRange) -> Bool {
        let bits = min(prefixLength, other.prefixLength)
        return base & Self.mask(bits) == other.base & Self.mask(bits)
    }

    var description: String { "\(address(at: 0))/\(prefixLength)" }
}
