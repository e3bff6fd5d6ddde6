import NIOCore

extension SocketAddress {
    /// The IP address as text, as `ipAddress` gives it, an IPv4 one written out here: NIO's goes
    /// through inet_ntop and sprintf, ~1.8k instructions for each connection's peer.
    var ipText: String? {
        guard case .v4(let address) = self else { return ipAddress }
        let value = UInt32(bigEndian: address.address.sin_addr.s_addr)
        // At most 15 bytes: a small String, made without an allocation.
        return String(unsafeUninitializedCapacity: 15) { buffer in
            var count = 0
            for shift in stride(from: 24, through: 0, by: -8) {
                let octet = Int((value >> UInt32(shift)) & 0xFF)
                if octet >= 100 {
                    buffer[count] = UInt8(ascii: "0") &+ UInt8(octet / 100)
                    count &+= 1
                }
                if octet >= 10 {
                    buffer[count] = UInt8(ascii: "0") &+ UInt8(octet / 10 % 10)
                    count &+= 1
                }
                buffer[count] = UInt8(ascii: "0") &+ UInt8(octet % 10)
                count &+= 1
                if shift > 0 {
                    buffer[count] = UInt8(ascii: ".")
                    count &+= 1
                }
            }
            return count
        }
    }
}
