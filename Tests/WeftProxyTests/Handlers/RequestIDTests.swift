import Testing
@testable import WeftProxy

/// `x-request-id` values are version-4 UUIDs in their canonical text, as Envoy makes them.
@Suite("Request ids")
struct RequestIDTests {
    @Test("an id is 8-4-4-4-12 lower-case hex digits, version 4, variant 10xx; ids differ")
    func format() {
        var seen = Set<String>()
        for _ in 0..<200 {
            let id = RequestID.next()
            let bytes = Array(id.utf8)
            #expect(bytes.count == 36, "\(id)")
            for (index, byte) in bytes.enumerated() {
                if [8, 13, 18, 23].contains(index) {
                    #expect(byte == UInt8(ascii: "-"), "\(id)")
                } else {
                    #expect((UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte), "\(id)")
                }
            }
            #expect(bytes[14] == UInt8(ascii: "4") && "89ab".utf8.contains(bytes[19]), "\(id)")
            seen.insert(id)
        }
        #expect(seen.count == 200)
    }
}
