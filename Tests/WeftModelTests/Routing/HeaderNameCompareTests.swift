import Testing
@testable import WeftModel

/// Names compared in any case (`HTTPToken.sameIgnoringCase`, two words each side for 4 to 16 bytes).
@Suite("Header names compared in any case")
struct HeaderNameCompareTests {
    @Test("names of every length from 1 to 20 are found in the case sought and in others, and told from names one byte off in each place (same tag or not)")
    func namesOfEachLength() throws {
        let letters = Array("abcdefghijklmnopqrst-x".utf8)
        for length in 1...20 {
            let name = String(decoding: letters[0..<length], as: UTF8.self)
            let upper = name.uppercased()
            let mixed = String(name.enumerated().map { $0.offset % 2 == 0 ? Character($0.element.uppercased()) : $0.element })
            for received in [name, upper, mixed] {
                let fields = try #require(HeaderFieldsTests.fields("\(received): yes\r\n"))
                #expect(fields.first(name: name) == "yes", "\(received)")
                #expect(fields.first(name: upper) == "yes", "\(received)")
                for place in 0..<length {
                    var bytes = Array(name.utf8)
                    bytes[place] = bytes[place] == UInt8(ascii: "z") ? UInt8(ascii: "y") : UInt8(ascii: "z")
                    let other = String(decoding: bytes, as: UTF8.self)
                    #expect(fields.first(name: other) == nil, "\(received) against \(other)")
                }
            }
        }
    }
}
