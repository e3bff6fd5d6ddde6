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

    /// `part` as bytes, each piece handed to `write` in order (a body's bytes are passed on, not copied).
    mutating func encode(_ part: DownstreamResponsePart, allocator: ByteBufferAllocator, write: (IOData) -> Void) {
        switch part {
        case .head(var head):
            chunked = Self.frame(&head)
            var buffer = allocator.buffer(capacity: head.headers.lineBytes + 64)
            buffer.writeStaticString(head.version == .http1_0 ? "HTTP/1.0 " : "HTTP/1.1 ")
            Self.writeStatus(head.status, into: &buffer)
            head.headers.withLineRuns { buffer.writeBytes($0) }
            buffer.writeStaticString("\r\n")
            write(.byteBuffer(buffer))
        case .body(let body):
            guard chunked else { return write(body) }
            Self.writeChunk(body, allocator: allocator, write: write)
        case .end(let trailers):
            guard chunked else { return }
            chunked = false
            write(.byteBuffer(Self.lastChunk(trailers)))
        }
    }

    /// Sets the head's framing headers as NIO's response encoder does; true when the body goes chunked.
    static func frame(_ head: inout ProxyResponseHead) -> Bool {
        let code = head.status.code
        guard code >= 200, code != 204, code != 304 else {
            head.headers.remove("content-length")
            head.headers.remove("transfer-encoding")
            return false
        }
        if head.headers.contains("content-length") {
            head.headers.remove("transfer-encoding")
            return false
        }
        guard head.version == .http1_1 else { return false }
        head.headers.replaceOrAdd("transfer-encoding", value: "chunked")
        return true
    }

    /// `200 OK\r\n`: the code and its standard reason phrase.
    static func writeStatus(_ status: HTTPResponseStatus, into buffer: inout ByteBuffer) {
        switch status {
        case .ok: buffer.writeStaticString("200 OK\r\n")
        default:
            buffer.writeString(String(status.code))
            buffer.writeInteger(UInt8(ascii: " "))
            buffer.writeString(status.reasonPhrase)
            buffer.writeStaticString("\r\n")
        }
    }

    /// One chunk of a chunked body: its size line, the bytes, CRLF (an empty part writes nothing:
    /// a zero-size chunk would end the body).
    static func writeChunk(_ body: IOData, allocator: ByteBufferAllocator, write: (IOData) -> Void) {
        guard body.readableBytes > 0 else { return }
        var size = allocator.buffer(capacity: 18)
        size.writeString(String(body.readableBytes, radix: 16))
        size.writeStaticString("\r\n")
        write(.byteBuffer(size))
        write(body)
        write(.byteBuffer(ByteBuffer(staticString: "\r\n")))
    }

    /// The zero-size chunk, the trailers, and the empty line that ends a chunked message.
    static func lastChunk(_ trailers: HTTPHeaders?) -> ByteBuffer {
        var last = ByteBuffer(staticString: "0\r\n")
        for (name, value) in trailers ?? [:] {
            last.writeString(name)
            last.writeStaticString(": ")
            last.writeString(value)
            last.writeStaticString("\r\n")
        }
        last.writeStaticString("\r\n")
        return last
    }
}
