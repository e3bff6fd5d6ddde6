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

    @Test("the data path's random numbers: draws from many threads at once all differ; each bit is set about half the time; a percentage's chance comes about that often")
    func fastRandom() async {
        let draws = await withTaskGroup(of: [UInt64].self) { group in
            for _ in 0..<4 { group.addTask { (0..<5000).map { _ in FastRandom.next() } } }
            return await group.reduce(into: []) { $0 += $1 }
        }
        #expect(Set(draws).count == 20000)
        for bit in 0..<64 {
            let ones = draws.filter { $0 >> UInt64(bit) & 1 == 1 }.count
            #expect((9000...11000).contains(ones), "bit \(bit): \(ones) of 20000")
        }
        let units = (0..<20000).map { _ in FastRandom.unit() }
        #expect(units.allSatisfy { $0 >= 0 && $0 < 1 })
        let hits = (0..<20000).filter { _ in FastRandom.chance(25) }.count
        #expect((4300...5700).contains(hits), "\(hits)")
        #expect(FastRandom.chance(100) && !FastRandom.chance(0))
    }
}
