import NIOCore
import Testing
@testable import WeftProxy

@Suite("DNS messages")
struct DNSMessageTests {
    /// An answer as a server writes it: the question echoed, then `records` (type, data) with `ttl`.
    static func answer(id: UInt16, rcode: UInt16 = 0, name: String, records: [(UInt16, [UInt8])], ttl: UInt32 = 30) -> ByteBuffer {
        var query = DNSMessage.query(id: id, name: name)
        var buffer = ByteBuffer()
        buffer.writeInteger(id)
        buffer.writeInteger(UInt16(0x8180) | rcode)
        buffer.writeInteger(UInt16(1))
        buffer.writeInteger(UInt16(records.count))
        buffer.writeInteger(UInt16(0))
        buffer.writeInteger(UInt16(0))
        query.moveReaderIndex(forwardBy: 12)
        buffer.writeBuffer(&query)
        for (type, data) in records {
            buffer.writeBytes([0xC0, 0x0C])
            buffer.writeInteger(type)
            buffer.writeInteger(UInt16(1))
            buffer.writeInteger(ttl)
            buffer.writeInteger(UInt16(data.count))
            buffer.writeBytes(data)
        }
        return buffer
    }

    @Test("an A query names the host in labels, recursion desired")
    func query() {
        let bytes = Array(DNSMessage.query(id: 0x1234, name: "edition.cnn.com").readableBytesView)
        #expect(Array(bytes[0..<6]) == [0x12, 0x34, 0x01, 0x00, 0x00, 0x01])
        #expect(Array(bytes[12...]) == [7] + Array("edition".utf8) + [3] + Array("cnn".utf8) + [3] + Array("com".utf8) + [0, 0, 1, 0, 1])
    }

    @Test("the A records of an answer with the smallest TTL; a CNAME in the chain is passed over")
    func addresses() {
        let cname: (UInt16, [UInt8]) = (5, [3] + Array("www".utf8) + [0xC0, 0x0C])
        let message = Self.answer(id: 7, name: "edition.cnn.com", records: [cname, (1, [127, 0, 50, 3]), (1, [127, 0, 50, 4])], ttl: 20)
        #expect(DNSMessage.answer(message, id: 7) == .addresses(["127.0.50.3", "127.0.50.4"], ttl: 20))
    }

    @Test("NXDOMAIN and SERVFAIL are errors; another query's answer, a truncated one or garbage are malformed; no A record is a name that does not resolve")
    func failures() {
        #expect(DNSMessage.answer(Self.answer(id: 7, rcode: 3, name: "nowhere.test", records: []), id: 7) == .error(code: 3))
        #expect(DNSMessage.answer(Self.answer(id: 7, rcode: 2, name: "a.test", records: []), id: 7) == .error(code: 2))
        let good = Self.answer(id: 7, name: "a.test", records: [(1, [10, 0, 0, 1])])
        #expect(DNSMessage.answer(good, id: 8) == .malformed)
        #expect(DNSMessage.answer(good.getSlice(at: 0, length: good.readableBytes - 2)!, id: 7) == .malformed)
        #expect(DNSMessage.answer(ByteBuffer(string: "garbage"), id: 7) == .malformed)
        #expect(DNSMessage.answer(Self.answer(id: 7, name: "a.test", records: [(16, [3, 0x61, 0x62, 0x63])]), id: 7) == .error(code: 3))
    }
}
