import NIOHTTP1
#if canImport(Glibc)
import Glibc
#endif
import WeftModel

/// An HTTP/1.1 request line (RFC 9112 §3) read from bytes: method, target, version.
enum HTTP1RequestLine {
    /// Parses `line` (without its CRLF); `previous`, the connection's last target, lends its Strings
    /// where the bytes are the same (`RequestTarget.init(_:reusing:)`).
    static func parse(_ line: UnsafeRawBufferPointer, reusing previous: RequestTarget? = nil) -> Result<(HTTPMethod, RequestTarget, HTTPVersion), HTTPParserError> {
        let end = line.count
        var index = 0
        while index < end, HTTPToken.isTokenByte(line[index]) { index += 1 }
        guard index > 0, index < end, line[index] == 0x20 else { return .failure(.invalidMethod) }
        let method = HTTP1StartLine.method(UnsafeRawBufferPointer(rebasing: line[0..<index]))
        index += 1
        let targetStart = index
        // Visible characters and obs-text: no whitespace, no control character, no DEL.
        index = HTTPToken.firstSpaceOrControlByte(in: line.assumingMemoryBound(to: UInt8.self), from: index)
        guard index > targetStart, index < end, line[index] == 0x20 else { return .failure(.invalidURL) }
        let target = RequestTarget(UnsafeRawBufferPointer(rebasing: line[targetStart..<index]), reusing: previous)
        index += 1
        guard end - index == 8 else { return .failure(.invalidVersion) }
        let version = UnsafeRawBufferPointer(rebasing: line[index..<end])
        guard HTTP1StartLine.startsWithHTTP1(version) else { return .failure(.invalidVersion) }
        switch version[7] {
        case UInt8(ascii: "1"): return .success((method, target, .http1_1))
        case UInt8(ascii: "0"): return .success((method, target, .http1_0))
        default: return .failure(.invalidVersion)
        }
    }
}

/// An HTTP/1.1 status line (RFC 9112 §4) read from bytes. The reason phrase is not kept: the proxy
/// writes the standard one for the code, as Envoy does.
enum HTTP1StatusLine {
    /// Parses `line` (without its CRLF).
    static func parse(_ line: UnsafeRawBufferPointer) -> Result<(HTTPVersion, HTTPResponseStatus), HTTPParserError> {
        guard line.count >= 12, HTTP1StartLine.startsWithHTTP1(line), line[8] == 0x20 else { return .failure(.invalidVersion) }
        let version: HTTPVersion
        switch line[7] {
        case UInt8(ascii: "1"): version = .http1_1
        case UInt8(ascii: "0"): version = .http1_0
        default: return .failure(.invalidVersion)
        }
        var code = 0
        for index in 9..<12 {
            let digit = line[index]
            guard digit >= 0x30, digit <= 0x39 else { return .failure(.invalidStatus) }
            code = code * 10 + Int(digit - 0x30)
        }
        guard code >= 100, line.count == 12 || line[12] == 0x20 else { return .failure(.invalidStatus) }
        // The reason phrase: visible characters, spaces, tabs and obs-text only.
        for index in 12..<line.count where line[index] != 0x09 && (line[index] < 0x20 || line[index] == 0x7F) {
            return .failure(.invalidStatus)
        }
        return .success((version, HTTPResponseStatus(statusCode: code)))
    }
}

/// What both start lines share, read without making Strings.
enum HTTP1StartLine {
    /// `bytes` begin with `HTTP/1.` (a generic `starts(with:)` cost ~300 instructions a line).
    static func startsWithHTTP1(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= 7 else { return false }
        // "HTTP/1." as two loads: the first four bytes and the next three.
        return bytes.loadUnaligned(as: UInt32.self) == UInt32(littleEndian: 0x5054_5448)
            && bytes[4] == UInt8(ascii: "/") && bytes[5] == UInt8(ascii: "1") && bytes[6] == UInt8(ascii: ".")
    }

    /// The method token: the common ones by their bytes (NIO's `HTTPMethod(rawValue:)` compares a
    /// String with each name in turn), any other as NIO reads it.
    static func method(_ token: UnsafeRawBufferPointer) -> HTTPMethod {
        func equals(_ name: StaticString) -> Bool {
            token.count == name.utf8CodeUnitCount && memcmp(token.baseAddress!, name.utf8Start, token.count) == 0
        }
        switch token.count {
        case 3 where equals("GET"): return .GET
        case 3 where equals("PUT"): return .PUT
        case 4 where equals("POST"): return .POST
        case 4 where equals("HEAD"): return .HEAD
        case 5 where equals("PATCH"): return .PATCH
        case 6 where equals("DELETE"): return .DELETE
        case 7 where equals("OPTIONS"): return .OPTIONS
        default: return HTTPMethod(rawValue: String(decoding: token, as: UTF8.self))
        }
    }
}
