import NIOCore

/// The two DNS messages a proxy's resolver needs (RFC 1035): an A query with recursion desired,
/// and the answer's IPv4 addresses with the smallest TTL (CNAME chains in the answer are
/// followed by reading every A record in it). Malformed input is a failure, never a trap.
enum DNSMessage {
    /// What an answer says.
    enum Answer: Equatable {
        /// The addresses (dotted quads) and how long they may be kept, in seconds.
        case addresses([String], ttl: UInt32)
        /// The server answered with an error code (3: the name does not exist).
        case error(code: UInt8)
        /// Not an answer to this query, or not a DNS message.
        case malformed
    }

    /// An A query for `name` with identifier `id`.
    static func query(id: UInt16, name: String) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(id)
        buffer.writeInteger(UInt16(0x0100))   // recursion desired
        buffer.writeInteger(UInt16(1))        // one question
        buffer.writeInteger(UInt16(0))
        buffer.writeInteger(UInt16(0))
        buffer.writeInteger(UInt16(0))
        for label in name.split(separator: ".") where !label.isEmpty {
            let bytes = Array(label.utf8.prefix(63))
            buffer.writeInteger(UInt8(bytes.count))
            buffer.writeBytes(bytes)
        }
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(UInt16(1))        // A
        buffer.writeInteger(UInt16(1))        // IN
        return buffer
    }

    /// Reads the answer to query `id`.
    static func answer(_ message: ByteBuffer, id: UInt16) -> Answer {
        var buffer = message
        guard let answerID = buffer.readInteger(as: UInt16.self), answerID == id,
              let flags = buffer.readInteger(as: UInt16.self), flags & 0x8000 != 0,
              let questions = buffer.readInteger(as: UInt16.self), let answers = buffer.readInteger(as: UInt16.self),
              buffer.readInteger(as: UInt16.self) != nil, buffer.readInteger(as: UInt16.self) != nil else { return .malformed }
        let code = UInt8(flags & 0x000F)
        if code != 0 { return .error(code: code) }
        for _ in 0..<questions {
            guard skipName(&buffer), buffer.readInteger(as: UInt32.self) != nil else { return .malformed }
        }
        var addresses: [String] = []
        var ttl = UInt32.max
        for _ in 0..<answers {
            guard skipName(&buffer), let type = buffer.readInteger(as: UInt16.self), let recordClass = buffer.readInteger(as: UInt16.self),
                  let recordTTL = buffer.readInteger(as: UInt32.self), let length = buffer.readInteger(as: UInt16.self),
                  let data = buffer.readBytes(length: Int(length)) else { return .malformed }
            guard type == 1, recordClass == 1, data.count == 4 else { continue }
            addresses.append(data.map(String.init).joined(separator: "."))
            ttl = min(ttl, recordTTL)
        }
        // An answer without A records (only a CNAME, or nothing) is the name not resolving.
        return addresses.isEmpty ? .error(code: 3) : .addresses(addresses, ttl: ttl)
    }

    /// Skips a (possibly compressed) name.
    private static func skipName(_ buffer: inout ByteBuffer) -> Bool {
        for _ in 0..<128 {
            guard let length = buffer.readInteger(as: UInt8.self) else { return false }
            if length == 0 { return true }
            if length & 0xC0 == 0xC0 { return buffer.readInteger(as: UInt8.self) != nil }
            guard buffer.readBytes(length: Int(length)) != nil else { return false }
        }
        return false
    }
}
