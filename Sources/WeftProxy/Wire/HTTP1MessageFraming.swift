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
    static func of(_ headers: HeaderFields, version: HTTPVersion) -> Result<HTTP1MessageFraming, HTTPParserError> {
        let hasEncoding = headers.contains("transfer-encoding")
        let hasLength = headers.contains("content-length")
        if hasEncoding {
            guard !hasLength else { return .failure(.unexpectedContentLength) }
            guard version == .http1_1, headers.lastElement(of: "transfer-encoding", is: "chunked") else { return .failure(.invalidHeaderToken) }
            return .success(.chunked)
        }
        guard hasLength else { return .success(.none) }
        return contentLength(headers).map { $0 == 0 ? .none : .contentLength($0) }
    }

    /// The one length the Content-Length fields give (a list of equal values is one), or the error
    /// for values that are not digits or differ; read from the bytes.
    static func contentLength(_ headers: HeaderFields) -> Result<Int, HTTPParserError> {
        var length: Int?
        var valid = true
        headers.forEachValue("content-length") { value in
            valid = valid && readLengths(value, into: &length)
        }
        guard valid, let length else { return .failure(.invalidContentLength) }
        return .success(length)
    }

    /// Reads one Content-Length value (a comma-separated list of equal lengths) into `length`,
    /// which holds what earlier fields said; false when an element is not digits or differs.
    static func readLengths(_ value: UnsafeBufferPointer<UInt8>, into length: inout Int?) -> Bool {
        var valid = true
        HeaderFields.forEachListMember(of: value) { member in
            var parsed = 0
            valid = !member.isEmpty && member.count <= 18
            for byte in member where valid {
                guard byte >= 0x30, byte <= 0x39 else { valid = false; break }
                parsed = parsed * 10 + Int(byte - 0x30)
            }
            if valid, let length, length != parsed { valid = false }
            length = parsed
            return valid
        }
        return valid
    }
}

extension HTTP1MessageFraming {
    /// How a response to `method` with `head` is delimited: none for HEAD, 1xx, 204, 304 and a
    /// 2xx to CONNECT; chunks when the last transfer coding is chunked; until the connection closes
    /// for any other transfer coding or no length at all; else its Content-Length. A response
    /// with both a Transfer-Encoding and a Content-Length, or lengths that differ, is refused
    /// (llhttp's strict reading, which NIO's decoder applied).
    static func ofResponse(_ head: ProxyResponseHead, to method: UpstreamRequestMethods.Kind, fields: HTTP1FramingFields) -> Result<HTTP1ResponseBody, HTTPParserError> {
        let code = head.status.code
        if method.isHEAD || code < 200 || code == 204 || code == 304 || (method.isCONNECT && code < 300) { return .success(.none) }
        if fields.hasTransferEncoding {
            guard !fields.hasContentLength else { return .failure(.unexpectedContentLength) }
            return .success(head.version == .http1_1 && fields.chunkedLast ? .chunked : .untilClose)
        }
        guard fields.hasContentLength else { return .success(.untilClose) }
        guard let length = fields.contentLength else { return .failure(.invalidContentLength) }
        return .success(.length(length))
    }
}

/// A response body's delimitation.
enum HTTP1ResponseBody: Equatable {
    case none
    case length(Int)
    case chunked
    case untilClose
}

extension HTTPMethod {
    /// `== .HEAD` without NIO's `==`, which compares the two methods' `rawValue` Strings (four
    /// such comparisons a response).
    var isHEAD: Bool {
        switch self {
        case .HEAD: true
        case .RAW(let value): value == "HEAD"
        default: false
        }
    }

    /// `== .CONNECT`, as `isHEAD`.
    var isCONNECT: Bool {
        switch self {
        case .CONNECT: true
        case .RAW(let value): value == "CONNECT"
        default: false
        }
    }
}
