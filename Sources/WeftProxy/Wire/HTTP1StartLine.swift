import NIOHTTP1
import WeftModel

/// An HTTP/1.1 request line (RFC 9112 §3) read from bytes: method, target, version.
enum HTTP1RequestLine {
    /// Parses `line` (without its CRLF).
    static func parse(_ line: UnsafeRawBufferPointer) -> Result<(HTTPMethod, String, HTTPVersion), HTTPParserError> {
        let end = line.count
        var index = 0
        while index < end, HTTPToken.isTokenByte(line[index]) { index += 1 }
        guard index > 0, index < end, line[index] == 0x20 else { return .failure(.invalidMethod) }
        let method = HTTPMethod(rawValue: String(decoding: UnsafeRawBufferPointer(rebasing: line[0..<index]), as: UTF8.self))
        index += 1
        let targetStart = index
        // Visible characters and obs-text: no whitespace, no control character, no DEL.
        while index < end, line[index] > 0x20, line[index] != 0x7F { index += 1 }
        guard index > targetStart, index < end, line[index] == 0x20 else { return .failure(.invalidURL) }
        let target = String(decoding: UnsafeRawBufferPointer(rebasing: line[targetStart..<index]), as: UTF8.self)
        index += 1
        guard end - index == 8 else { return .failure(.invalidVersion) }
        let version = UnsafeRawBufferPointer(rebasing: line[index..<end])
        guard version.starts(with: "HTTP/1.".utf8) else { return .failure(.invalidVersion) }
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
        guard line.count >= 12, line.starts(with: "HTTP/1.".utf8), line[8] == 0x20 else { return .failure(.invalidVersion) }
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
