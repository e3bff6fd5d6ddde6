import NIOHPACK
import NIOHTTP1
import NIOHTTP2
import WeftModel

/// HTTP/2 header blocks to and from the proxy's heads, directly: NIO's HTTP/2 ↔ HTTP/1 codecs went
/// through NIO's `HTTPHeaders` (a block became a head of `HTTPHeaders`, then the proxy's `HeaderFields`;
/// and back, three arrays of strings for each response head). The translation is NIO's own, rule for
/// rule: the same pseudo-headers required and checked, the same `host` and framing headers added to
/// a request, names lowercased and connection-specific fields left out of a block that goes out.
enum HTTP2HeaderBlocks {
    /// A request's head from a client stream's first block; `endStream`: the block ends the stream.
    static func request(_ block: HPACKHeaders, endStream: Bool) throws -> ProxyRequestHead {
        let method = HTTPMethod(rawValue: try pseudoHeader(":method", in: block))
        let path = try pseudoHeader(":path", in: block)
        // Required, as NIO requires it; its value is not carried.
        _ = try pseudoHeader(":scheme", in: block)
        let authority = try pseudoHeader(":authority", in: block)
        var fields: [(String, String)] = []
        fields.reserveCapacity(block.count)
        if !block.contains(name: "host") { fields.append(("host", authority)) }
        switch method {
        case .GET, .HEAD, .DELETE, .CONNECT, .TRACE:
            break
        default:
            // An HTTP/1.1 upstream needs the body's framing, which HTTP/2 carries in its frames.
            if !block.contains(name: "content-length") { fields.append(endStream ? ("content-length", "0") : ("transfer-encoding", "chunked")) }
        }
        appendRegular(block, to: &fields)
        return ProxyRequestHead(version: .http2, method: method, uri: path, headers: HeaderFields(fields))
    }

    /// The block of a request head for an upstream stream: the request line and `host` as
    /// pseudo-headers (`:scheme` http, as NIO's client codec sends it), then the other fields.
    static func block(of head: ProxyRequestHead) throws -> HPACKHeaders {
        var authority: String?
        for (name, value) in head.headers where isHost(name) {
            guard authority == nil else { throw NIOHTTP2Errors.duplicateHostHeader() }
            authority = value
        }
        guard let authority else { throw NIOHTTP2Errors.missingHostHeader() }
        var block = HPACKHeaders()
        block.reserveCapacity(head.headers.count + 3)
        block.add(name: ":path", value: head.uri)
        block.add(name: ":method", value: head.method.rawValue)
        block.add(name: ":scheme", value: "http")
        block.add(name: ":authority", value: authority)
        appendNormalized(head.headers.lazy.filter { !isHost($0.name) }, to: &block)
        return block
    }

    /// A response head from an upstream stream's block, and whether it is informational (its
    /// `:status` starts with 1, as NIO tells). A final head gets the framing an HTTP/1.1 reader of it
    /// expects, as NIO's codec adds it: `content-length: 0` when the block ends the stream, else
    /// `transfer-encoding: chunked`, unless the answer has no body (1xx, 204, 304, to HEAD or
    /// CONNECT) or says its length.
    static func response(_ block: HPACKHeaders, endStream: Bool, requestMethod: HTTPMethod) throws -> (head: ProxyResponseHead, informational: Bool) {
        let statusValue = try pseudoHeader(":status", in: block)
        let informational = statusValue.utf8.first == UInt8(ascii: "1")
        guard let code = Int(statusValue, radix: 10) else { throw NIOHTTP2Errors.invalidStatusValue(statusValue) }
        var fields: [(String, String)] = []
        fields.reserveCapacity(block.count)
        appendRegular(block, to: &fields)
        if !informational, !(100..<200).contains(code), code != 204, code != 304, requestMethod != .HEAD, requestMethod != .CONNECT,
           !block.contains(name: "content-length") {
            fields.append(endStream ? ("content-length", "0") : ("transfer-encoding", "chunked"))
        }
        return (ProxyResponseHead(version: .http2, status: HTTPResponseStatus(statusCode: code), headers: HeaderFields(fields)), informational)
    }

    private static func isHost(_ name: String) -> Bool {
        name.utf8.count == 4 && name.lowercased() == "host"
    }

    /// A block's regular fields (its trailers), in NIO's type.
    static func trailers(_ block: HPACKHeaders) -> HTTPHeaders {
        var fields: [(String, String)] = []
        fields.reserveCapacity(block.count)
        appendRegular(block, to: &fields)
        return HTTPHeaders(fields)
    }

    /// The block of a response head: `:status`, then its fields.
    static func block(of head: ProxyResponseHead) -> HPACKHeaders {
        var block = HPACKHeaders()
        block.reserveCapacity(head.headers.count + 1)
        block.add(name: ":status", value: String(head.status.code))
        appendNormalized(head.headers, to: &block)
        return block
    }

    /// The block of trailers.
    static func block(of trailers: HTTPHeaders) -> HPACKHeaders {
        var block = HPACKHeaders()
        block.reserveCapacity(trailers.count)
        appendNormalized(trailers.lazy.map { (name: $0.name, value: $0.value) }, to: &block)
        return block
    }

    /// Fields as HTTP/2 carries them: names lowercased, the connection-specific ones (RFC 9113 §8.2.2)
    /// and those a `Connection` field names left out (named as written: NIO compares them so).
    private static func appendNormalized(_ fields: some Sequence<(name: String, value: String)>, to block: inout HPACKHeaders) {
        var named: [Substring] = []
        for (name, value) in fields where name.utf8.count == 10 && name.lowercased() == "connection" {
            named.append(contentsOf: value.split(separator: ",").map(trimmed))
        }
        for (name, value) in fields {
            let lowered = lowercased(name)
            if isConnectionSpecific(lowered) || named.contains(lowered[...]) { continue }
            block.add(name: lowered, value: value)
        }
    }

    private static func trimmed(_ text: Substring) -> Substring {
        var text = text
        while text.first == " " || text.first == "\t" { text = text.dropFirst() }
        while text.last == " " || text.last == "\t" { text = text.dropLast() }
        return text
    }

    /// A connection-specific field, which HTTP/2 does not carry (`name` lowercased); by length
    /// first: a set of names hashed every field's name.
    private static func isConnectionSpecific(_ name: String) -> Bool {
        switch name.utf8.count {
        case 7: name == "upgrade"
        case 10: name == "connection" || name == "keep-alive"
        case 16: name == "proxy-connection"
        case 17: name == "transfer-encoding"
        default: false
        }
    }

    /// `name` in lowercase, without a new string when it already is (the usual case).
    private static func lowercased(_ name: String) -> String {
        name.utf8.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) ? name.lowercased() : name
    }

    private static func appendRegular(_ block: HPACKHeaders, to fields: inout [(String, String)]) {
        for (name, value, _) in block where name.utf8.first != UInt8(ascii: ":") { fields.append((name, value)) }
    }

    /// A pseudo-header's one value; missing, repeated or with a byte no pseudo-header may hold
    /// (a control, a space, DEL: they would split an HTTP/1.1 request line) is an error, as in NIO.
    private static func pseudoHeader(_ name: String, in block: HPACKHeaders) throws -> String {
        var found: String?
        for (fieldName, value, _) in block where fieldName == name {
            guard found == nil else { throw NIOHTTP2Errors.duplicatePseudoHeader(name) }
            found = value
        }
        guard let found else { throw NIOHTTP2Errors.missingPseudoHeader(name) }
        guard !found.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else { throw NIOHTTP2Errors.invalidPseudoHeaderValue(name: name, value: found) }
        return found
    }
}
