import NIOCore
import NIOHTTP1
import WeftModel

/// Writes responses to an HTTP/1.1 client: the status line (the code's standard reason, as Envoy
/// writes it), the head's field lines as they came from the upstream with the route's edits, then
/// the body, chunked when the framing says so. Framing as NIO's encoder (which this replaces) set
/// it: a status that has no body carries no framing header; a Content-Length is kept (and a
/// Transfer-Encoding beside it dropped); otherwise HTTP/1.1 goes chunked.
/// A value the downstream handler drives, not a handler of its own: a part handed down the
/// pipeline is boxed in `NIOAny` (an allocation) and cast back (~600 instructions) on every hop.
struct HTTP1ResponseEncoder {
    private var chunked = false

    /// `part` as bytes, gathered into `out` (see `OutboundBytes`); a body too large to copy is
    /// handed to `write`, after what was gathered before it.
    mutating func encode(_ part: DownstreamResponsePart, allocator: ByteBufferAllocator, into out: inout OutboundBytes, write: (IOData) -> Void) {
        switch part {
        case .head(let head):
            encodeHead(head, allocator: allocator, into: &out)
        case .body(let body):
            guard chunked else { return out.append(body, allocator: allocator, write: write) }
            Self.writeChunk(body, allocator: allocator, into: &out, write: write)
        case .end(let trailers):
            guard chunked else { return }
            chunked = false
            out.fill(reserving: 5, allocator: allocator) { Self.writeLastChunk(trailers, into: &$0) }
        }
    }

    /// The head, read where it is; copied only when its framing headers need an edit (a copy was a
    /// retain and release of each of its fields).
    mutating func encodeHead(_ head: ProxyResponseHead, allocator: ByteBufferAllocator, into out: inout OutboundBytes) {
        if let framing = Self.framingAsIs(head) {
            writeHead(head, framing: framing, allocator: allocator, into: &out)
        } else {
            var edited = head
            let framing = Self.frame(&edited)
            writeHead(edited, framing: framing, allocator: allocator, into: &out)
        }
    }

    private mutating func writeHead(_ head: ProxyResponseHead, framing: HTTP1BodyFraming, allocator: ByteBufferAllocator, into out: inout OutboundBytes) {
        chunked = framing.chunked
        let lineBytes = head.headers.storedLineBytes
        var buffer = out.open(reserving: lineBytes + 64 + framing.copiedBodyBytes, allocator: allocator)
        buffer.writeStatusLine(head.status, version: head.version)
        buffer.writeFieldLinesAndEnd(head.headers, lineBytes: lineBytes)
        out.close(buffer)
    }

    /// The head's framing when `frame` would leave its headers as they are (most heads: a
    /// Content-Length and no Transfer-Encoding); nil when it edits them.
    static func framingAsIs(_ head: ProxyResponseHead) -> HTTP1BodyFraming? {
        let code = head.status.code
        guard code >= 200, code != 204, code != 304 else {
            return head.headers.contains("content-length") || head.headers.contains("transfer-encoding") ? nil : HTTP1BodyFraming(chunked: false)
        }
        if let length = HTTP1BodyFraming.declaredLength(head.headers) {
            return head.headers.contains("transfer-encoding") ? nil : HTTP1BodyFraming(chunked: false, length: length)
        }
        return head.version == .http1_1 ? nil : HTTP1BodyFraming(chunked: false)
    }

    /// Sets the head's framing headers as NIO's response encoder does.
    static func frame(_ head: inout ProxyResponseHead) -> HTTP1BodyFraming {
        let code = head.status.code
        guard code >= 200, code != 204, code != 304 else {
            head.headers.remove("content-length")
            head.headers.remove("transfer-encoding")
            return HTTP1BodyFraming(chunked: false)
        }
        if let length = HTTP1BodyFraming.declaredLength(head.headers) {
            head.headers.remove("transfer-encoding")
            return HTTP1BodyFraming(chunked: false, length: length)
        }
        guard head.version == .http1_1 else { return HTTP1BodyFraming(chunked: false) }
        head.headers.replaceOrAdd("transfer-encoding", value: "chunked")
        return HTTP1BodyFraming(chunked: true)
    }

    /// One chunk of a chunked body: its size line, the bytes, CRLF (an empty part writes nothing:
    /// a zero-size chunk would end the body).
    static func writeChunk(_ body: IOData, allocator: ByteBufferAllocator, into out: inout OutboundBytes, write: (IOData) -> Void) {
        let size = body.readableBytes
        guard size > 0 else { return }
        let copied = size <= OutboundBytes.copyLimit ? size : 0
        out.fill(reserving: 18 + copied + 2, allocator: allocator) { buffer in
            buffer.writeString(String(size, radix: 16))
            buffer.writeStaticString("\r\n")
        }
        out.append(body, allocator: allocator, write: write)
        out.fill(reserving: 2, allocator: allocator) { $0.writeStaticString("\r\n") }
    }

    /// The zero-size chunk, the trailers, and the empty line that ends a chunked message.
    static func writeLastChunk(_ trailers: HTTPHeaders?, into buffer: inout ByteBuffer) {
        buffer.writeStaticString("0\r\n")
        for (name, value) in trailers ?? [:] {
            buffer.writeString(name)
            buffer.writeStaticString(": ")
            buffer.writeString(value)
            buffer.writeStaticString("\r\n")
        }
        buffer.writeStaticString("\r\n")
    }
}

/// How a message's body is framed on HTTP/1.1, as an encoder set it: chunked, or as long as the
/// head's Content-Length says (its bytes are reserved with the head's when small enough to copy).
struct HTTP1BodyFraming {
    var chunked: Bool
    /// The Content-Length's value (0 when it is not a number: the decoder refused such heads).
    var length: Int?

    /// The body bytes the head's buffer makes room for: a Content-Length up to `OutboundBytes.copyLimit`.
    var copiedBodyBytes: Int {
        guard let length, length > 0, length <= OutboundBytes.copyLimit else { return 0 }
        return length
    }

    /// The first Content-Length's value read from its bytes (no String made); nil when there is none.
    static func declaredLength(_ headers: HeaderFields) -> Int? {
        headers.withFirstValue("content-length") { value in
            var number = 0
            for byte in value {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), number < Int(Int32.max) else { return 0 }
                number = number * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return number
        }
    }
}
