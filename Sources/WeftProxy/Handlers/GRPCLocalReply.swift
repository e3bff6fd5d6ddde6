import NIOHTTP1

/// A local answer to a gRPC caller, as Envoy's gRPC-aware local replies make it: HTTP 200 with
/// `content-type: application/grpc` and the failure as `grpc-status` (mapped from the HTTP status
/// the answer would have had, gRPC's own mapping) and `grpc-message` (the body, percent-encoded).
struct GRPCLocalReply: Equatable {
    let status: Int
    let message: String

    init(_ response: LocalResponse) {
        status = response.grpcStatus ?? Self.status(forHTTP: response.status)
        message = Self.percentEncoded(response.body)
    }

    /// A `grpc-timeout` header's value in milliseconds (rounded up): digits and a unit, `H` `M` `S`
    /// `m` `u` `n`; nil when it is not one.
    static func timeoutMilliseconds(_ value: String) -> Int? {
        guard let unit = value.last, value.count >= 2, value.count <= 9, let amount = Int(value.dropLast()), amount >= 0 else { return nil }
        let nanoseconds: Int
        switch unit {
        case "H": nanoseconds = amount * 3_600_000_000_000
        case "M": nanoseconds = amount * 60_000_000_000
        case "S": nanoseconds = amount * 1_000_000_000
        case "m": nanoseconds = amount * 1_000_000
        case "u": nanoseconds = amount * 1_000
        case "n": nanoseconds = amount
        default: return nil
        }
        return max(1, (nanoseconds + 999_999) / 1_000_000)
    }

    /// Whether a request is a gRPC call: its content type is `application/grpc` or a subtype (`+proto`, `-web`).
    static func isGRPC(_ head: ProxyRequestHead) -> Bool {
        guard let type = head.headers.first("content-type") else { return false }
        return type.utf8.starts(with: "application/grpc".utf8)
    }

    /// https://github.com/grpc/grpc/blob/master/doc/http-grpc-status-mapping.md, as Envoy applies it.
    static func status(forHTTP status: Int) -> Int {
        switch status {
        case 400: return 13  // INTERNAL
        case 401: return 16  // UNAUTHENTICATED
        case 403: return 7  // PERMISSION_DENIED
        case 404: return 12  // UNIMPLEMENTED
        case 429, 502, 503, 504: return 14  // UNAVAILABLE
        default: return 2  // UNKNOWN
        }
    }

    /// The status fields, for a trailers block (HTTP/2) or the head itself (a trailers-only answer over HTTP/1.1).
    var fields: HTTPHeaders {
        var fields = HTTPHeaders()
        fields.add(name: "grpc-status", value: String(status))
        if !message.isEmpty { fields.add(name: "grpc-message", value: message) }
        return fields
    }

    /// gRPC's grpc-message encoding: bytes outside printable ASCII, and `%`, as `%XX`.
    static func percentEncoded(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            if byte >= 0x20 && byte <= 0x7E && byte != UInt8(ascii: "%") {
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                encoded += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return encoded
    }
}

private extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
