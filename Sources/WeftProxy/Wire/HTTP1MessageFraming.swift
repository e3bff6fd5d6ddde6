import Foundation
import NIOHTTP1
import WeftModel

/// How an HTTP/1.1 request's body is delimited (RFC 9112 §6), read from its head the way Envoy's
/// codec reads it: a request that could be read two ways is refused, never guessed at.
enum HTTP1MessageFraming: Equatable {
    case none
    case contentLength(Int)
    case chunked

    /// The framing `head` declares, or the parser error a 400 is answered for: a Transfer-Encoding
    /// whose last coding is not `chunked`, one on HTTP/1.0, one beside a Content-Length (Envoy's
    /// default refuses both together), a Content-Length that is not digits, or several that differ.
    static func of(_ head: ProxyRequestHead) -> Result<HTTP1MessageFraming, HTTPParserError> {
        let headers = head.headers
        let encodings = headers.contains(name: "transfer-encoding") ? headers.values(name: "transfer-encoding") : []
        let lengths = headers.contains(name: "content-length") ? headers.values(name: "content-length") : []
        if !encodings.isEmpty {
            guard lengths.isEmpty else { return .failure(.unexpectedContentLength) }
            guard head.version == .http1_1 else { return .failure(.invalidHeaderToken) }
            let last = encodings.last?.split(separator: ",").last.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            return last == "chunked" ? .success(.chunked) : .failure(.invalidHeaderToken)
        }
        guard !lengths.isEmpty else { return .success(.none) }
        var length: Int?
        for value in lengths {
            for item in value.split(separator: ",", omittingEmptySubsequences: false) {
                let text = item.trimmingCharacters(in: .whitespaces)
                guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let parsed = Int(text) else {
                    return .failure(.invalidContentLength)
                }
                if let length, length != parsed { return .failure(.invalidContentLength) }
                length = parsed
            }
        }
        return .success(length.map { $0 == 0 ? .none : .contentLength($0) } ?? .none)
    }
}

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
