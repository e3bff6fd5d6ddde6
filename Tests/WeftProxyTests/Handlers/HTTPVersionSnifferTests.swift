import NIOCore
import Testing
@testable import WeftProxy

/// The first bytes of an HTTP listener's connection: HTTP/2's client preface or anything else.
@Suite("HTTP version sniffing")
struct HTTPVersionSnifferTests {
    @Test("the whole preface is HTTP/2; a strict prefix of it waits; the first byte that differs is HTTP/1.1", arguments: [
        ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", HTTPVersionSniffer.Verdict.http2),
        ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\u{0}\u{0}\u{12}\u{4}", .http2),
        ("P", .undecided),
        ("PRI * HTTP/2.0\r\n", .undecided),
        ("POST / HTTP/1.1\r\n", .http1),
        ("PUT", .http1),
        ("GET / HTTP/1.1\r\n", .http1),
        ("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n", .http1),
        ("", .undecided),
    ])
    func verdict(bytes: String, expected: HTTPVersionSniffer.Verdict) {
        #expect(HTTPVersionSniffer.verdict(ByteBuffer(string: bytes)) == expected)
    }
}

/// Sniffing a port whose protocol is not declared: HTTP/2's preface, an HTTP/1.x request line, or bytes.
@Suite("protocol detection")
struct ProtocolDetectionTests {
    @Test("request lines are HTTP/1, other protocols' first bytes are not, and a line still arriving waits", arguments: [
        ("GET / HTTP/1.1\r\nHost: x\r\n\r\n", HTTPVersionSniffer.Verdict.http1),
        ("POST http://reviews:9080/x?y=1 HTTP/1.0\r\n", .http1),
        ("M-SEARCH * HTTP/1.1\r\n", .http1),
        ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", .http2),
        ("GET / HTTP/1.1", .undecided),
        ("GET", .undecided),
        ("PR", .undecided),
        ("*1\r\n$4\r\nPING\r\n", .opaque),
        ("\u{16}\u{03}\u{01}\u{02}\u{00}", .opaque),
        ("get / HTTP/1.1\r\n", .opaque),
        ("GET / SMTP\r\n", .opaque),
        (" GET / HTTP/1.1\r\n", .opaque),
        ("HELO example.com\r\n", .opaque),
    ])
    func detect(bytes: String, expected: HTTPVersionSniffer.Verdict) {
        #expect(HTTPVersionSniffer.detect(ByteBuffer(string: bytes)) == expected)
    }

    @Test("a line that never ends is not HTTP once it passes the limit")
    func endlessLine() {
        #expect(HTTPVersionSniffer.detect(ByteBuffer(string: "GET /" + String(repeating: "a", count: 9000))) == .opaque)
    }
}
