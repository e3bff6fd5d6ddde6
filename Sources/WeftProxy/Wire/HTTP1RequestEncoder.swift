import NIOCore
import NIOHTTP1
import WeftModel

/// Writes requests to an HTTP/1.1 upstream: the request line, the head's field lines copied as
/// they are (`HeaderFields.withLineRuns`: a few copies of received bytes, not a String per header),
/// then the body, chunked when the framing says so. The body framing follows NIO's encoder (which
/// this replaces): POST/PUT/PATCH without a Content-Length go chunked, TRACE carries none, other
/// methods are chunked only when the head says so. It tells the response decoder each request's
/// method (a HEAD's response has no body). A value `UpstreamHandler` drives (as the response
/// encoder is for the downstream handler): no part goes through the pipeline.
struct HTTP1RequestEncoder {
    let methods: UpstreamRequestMethods
    private var chunked = false

    init(methods: UpstreamRequestMethods) {
        self.methods = methods
    }

    /// `part` as bytes, each piece handed to `write` in order (a body's bytes are passed on, not copied).
    mutating func encode(_ part: UpstreamRequestPart, allocator: ByteBufferAllocator, write: (IOData) -> Void) {
        switch part {
        case .head(var head):
            chunked = Self.frame(&head)
            methods.sent(head.method)
            var buffer = allocator.buffer(capacity: head.uri.utf8.count + head.headers.lineBytes + 32)
            buffer.writeString(head.method.rawValue)
            buffer.writeInteger(UInt8(ascii: " "))
            buffer.writeString(head.uri)
            buffer.writeStaticString(head.version == .http1_0 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n")
            head.headers.withLineRuns { buffer.writeBytes($0) }
            buffer.writeStaticString("\r\n")
            write(.byteBuffer(buffer))
        case .body(let body):
            guard chunked else { return write(body) }
            HTTP1ResponseEncoder.writeChunk(body, allocator: allocator, write: write)
        case .end(let trailers):
            guard chunked else { return }
            chunked = false
            write(.byteBuffer(HTTP1ResponseEncoder.lastChunk(trailers)))
        }
    }

    /// Sets the head's framing headers as NIO's encoder does; true when the body goes chunked.
    static func frame(_ head: inout ProxyRequestHead) -> Bool {
        let hasLength = head.headers.contains("content-length")
        switch head.method {
        case .TRACE:
            head.headers.remove("content-length")
            head.headers.remove("transfer-encoding")
            return false
        case .POST, .PUT, .PATCH:
            if hasLength {
                head.headers.remove("transfer-encoding")
                return false
            }
            guard head.version == .http1_1 else { return false }
            head.headers.replaceOrAdd("transfer-encoding", value: "chunked")
            return true
        default:
            if hasLength {
                head.headers.remove("transfer-encoding")
                return false
            }
            return head.version == .http1_1 && head.headers.first("transfer-encoding")?.lowercased() == "chunked"
        }
    }
}
