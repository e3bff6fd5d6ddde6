import NIOCore
import NIOHTTP1
import Testing
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
}
