import NIOCore

/// The question of a DNS query a pod's app sends (RFC 1035), and the answers the sidecar's DNS
/// gives from the mesh's registry: A records, or an empty answer / NXDOMAIN. Malformed input is
/// nil, never a trap.
struct DNSQuestion: Equatable {
    var id: UInt16
    /// The query's flags (recursion desired is echoed back).
    var flags: UInt16
    /// The name asked, lower-cased, without the final dot.
    var name: String
    var type: UInt16
    var recordClass: UInt16
    /// The question's bytes as sent (echoed in the answer).
    var wire: [UInt8]

    static let typeA: UInt16 = 1

    /// Reads a query's first question (names in questions are not compressed).
    init?(_ message: ByteBuffer) {
        var buffer = message
        guard let id = buffer.readInteger(as: UInt16.self), let flags = buffer.readInteger(as: UInt16.self), flags & 0x8000 == 0,
              let questions = buffer.readInteger(as: UInt16.self), questions >= 1, buffer.readBytes(length: 6) != nil else { return nil }
        let start = buffer.readerIndex
        var labels: [String] = []
        while true {
            guard let length = buffer.readInteger(as: UInt8.self), length & 0xC0 == 0, labels.count < 128 else { return nil }
            if length == 0 { break }
            guard let label = buffer.readBytes(length: Int(length)) else { return nil }
            labels.append(String(decoding: label, as: UTF8.self).lowercased())
        }
        guard let type = buffer.readInteger(as: UInt16.self), let recordClass = buffer.readInteger(as: UInt16.self),
              let wire = message.getBytes(at: start, length: buffer.readerIndex - start) else { return nil }
        self.id = id
        self.flags = flags
        self.name = labels.joined(separator: ".")
        self.type = type
        self.recordClass = recordClass
        self.wire = wire
    }

    /// The answer: `addresses` as A records for an A question (none for other types: the name
    /// exists, so NOERROR with no data), or `code` (3, NXDOMAIN) with nothing.
    func answer(addresses: [String], ttl: UInt32 = 30, code: UInt8 = 0) -> ByteBuffer {
        let records = code == 0 && type == Self.typeA ? addresses.compactMap(Self.octets) : []
        var buffer = ByteBuffer()
        buffer.writeInteger(id)
        // A response, authoritative, recursion desired as asked and available.
        buffer.writeInteger(UInt16(0x8000 | 0x0400 | (flags & 0x0100) | 0x0080 | UInt16(code)))
        buffer.writeInteger(UInt16(1))
        buffer.writeInteger(UInt16(records.count))
        buffer.writeInteger(UInt16(0))
        buffer.writeInteger(UInt16(0))
        buffer.writeBytes(wire)
        for octets in records {
            buffer.writeInteger(UInt16(0xC00C))   // the question's name
            buffer.writeInteger(Self.typeA)
            buffer.writeInteger(UInt16(1))
            buffer.writeInteger(ttl)
            buffer.writeInteger(UInt16(4))
            buffer.writeBytes(octets)
        }
        return buffer
    }

    static func octets(_ address: String) -> [UInt8]? {
        let parts = address.split(separator: ".").compactMap { UInt8($0) }
        return parts.count == 4 ? parts : nil
    }
}
