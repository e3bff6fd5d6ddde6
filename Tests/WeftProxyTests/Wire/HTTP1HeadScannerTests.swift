import NIOCore
import NIOHTTP1
import Testing
import WeftModel
@testable import WeftProxy

/// Where a head ends, found sixteen bytes at a time: the same offset however the bytes arrive, and
/// a line feed without its carriage return refused wherever it lies.
@Suite("HTTP/1.1 head end")
struct HTTP1HeadScannerTests {
    static let head = Array("GET /a/longer/path HTTP/1.1\r\nHost: reviews.default.svc\r\nX-Request-Id: 0123456789abcdef\r\n\r\nBODY".utf8)
    static let end = head.count - 4

    @Test("split in two at every byte, the end is found once both parts are there, at the same offset")
    func everySplit() throws {
        for split in 0...Self.head.count {
            var scanner = HTTP1HeadScanner()
            var buffer = ByteBuffer(bytes: Self.head[..<split])
            let early = try scanner.headEnd(in: buffer)
            buffer.writeBytes(Self.head[split...])
            let found = try early ?? scanner.headEnd(in: buffer)
            #expect(found == Self.end, "split at \(split)")
            if split < Self.end { #expect(early == nil, "split at \(split)") }
        }
    }

    @Test("a line feed without its carriage return is refused, in the first sixteen bytes, later ones and the tail")
    func bareLineFeed() {
        let crs = Self.head[..<Self.end].indices.filter { Self.head[$0] == 0x0D }
        for cr in crs {
            var bytes = Self.head
            bytes[cr] = UInt8(ascii: "x")
            var scanner = HTTP1HeadScanner()
            #expect(throws: HTTPParserError.self, "CR at \(cr) replaced") { _ = try scanner.headEnd(in: ByteBuffer(bytes: bytes)) }
        }
        // The head's own first line feed at offset 0 has no CR before it.
        var scanner = HTTP1HeadScanner()
        #expect(throws: HTTPParserError.self) { _ = try scanner.headEnd(in: ByteBuffer(string: "\n")) }
    }

    @Test("no end yet in a long head: nil, and the bytes after are searched when they come")
    func longHead() throws {
        var scanner = HTTP1HeadScanner()
        var buffer = ByteBuffer(string: "GET / HTTP/1.1\r\n" + String(repeating: "X-Filler: abcdefghijklmnopqrstuvwxyz\r\n", count: 40))
        #expect(try scanner.headEnd(in: buffer) == nil)
        buffer.writeString("\r\n")
        #expect(try scanner.headEnd(in: buffer) == buffer.readableBytes)
    }

    /// A head's fields read the long way: its end searched for, then its lines indexed.
    static func readInTwoPasses(_ head: [UInt8]) throws -> (HeaderFields, Int)? {
        var scanner = HTTP1HeadScanner()
        guard let end = try scanner.headEnd(in: ByteBuffer(bytes: head)) else { return nil }
        return try head.withUnsafeBytes { bytes in
            guard let lineEnd = HTTP1HeadScanner.firstLineEnd(in: bytes),
                  let fields = HeaderFields(validating: UnsafeRawBufferPointer(rebasing: bytes[(lineEnd + 2)..<(end - 2)]))
            else { throw HTTPParserError.invalidHeaderToken }
            return (fields, end)
        }
    }

    /// The same head read in one pass (nil: not all there, or something to refuse).
    static func readInOnePass(_ head: [UInt8]) -> (HeaderFields, Int)? {
        head.withUnsafeBytes { bytes in
            var spare: SpareHeaderStorage?
            return (try? HTTP1HeadScanner.wholeHead(in: bytes, room: 64, maximum: 64 * 1024, spare: &spare)).flatMap { $0 }.map { ($0.headers, $0.end) }
        }
    }

    @Test("a head read in one pass gives the fields and end the two passes give; cut anywhere short of its end, nothing (the long way then waits)")
    func onePass() throws {
        let long = Array(("HTTP/1.1 200 OK\r\nServer: nginx\r\nX-Envoy-Peer-Metadata: " + String(repeating: "Q2hpY2tlbg==", count: 40)
            + "\r\nEmpty:\r\nTabbed:\tvalue\t\r\n\r\n").utf8)
        let bare = Array("GET / HTTP/1.1\r\n\r\n".utf8)
        for head in [Self.head, long, bare] {
            let whole = try #require(try Self.readInTwoPasses(head))
            let once = try #require(Self.readInOnePass(head))
            #expect(once.0 == whole.0)
            #expect(once.1 == whole.1)
            #expect(once.0.first(name: "x-request-id") == whole.0.first(name: "x-request-id"))
            for cut in 0..<whole.1 {
                #expect(Self.readInOnePass(Array(head[..<cut])) == nil, "cut at \(cut)")
            }
        }
    }

    @Test("a head the one pass refuses (a bare line feed, a control character, a name that is not a token, a folded line) is refused by the two passes too")
    func onePassRefuses() throws {
        let crs = Self.head[..<Self.end].indices.filter { Self.head[$0] == 0x0D }
        var heads = crs.map { cr -> [UInt8] in
            var bytes = Self.head
            bytes[cr] = UInt8(ascii: "x")
            return bytes
        }
        heads.append(Array("GET / HTTP/1.1\r\nHost: a\u{01}b\r\n\r\n".utf8))
        heads.append(Array("GET / HTTP/1.1\r\nHo st: ab\r\n\r\n".utf8))
        heads.append(Array("GET / HTTP/1.1\r\nHost: ab\r\n folded\r\n\r\n".utf8))
        heads.append(Array("GET / HTTP/1.1\r\nHost: ab\r\r\n\r\n".utf8))
        for head in heads {
            #expect(Self.readInOnePass(head) == nil, "\(String(decoding: head, as: UTF8.self))")
            #expect(throws: (any Error).self) { _ = try Self.readInTwoPasses(head) }
        }
    }
}
