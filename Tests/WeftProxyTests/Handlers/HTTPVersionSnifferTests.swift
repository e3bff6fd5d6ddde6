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
