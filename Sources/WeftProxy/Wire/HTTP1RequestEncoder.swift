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

    /// `part` as bytes, gathered into `out` (see `OutboundBytes`); a body too large to copy is
    /// handed to `write`, after what was gathered before it.
    mutating func encode(_ part: UpstreamRequestPart, allocator: ByteBufferAllocator, into out: inout OutboundBytes, write: (IOData) -> Void) {
        switch part {
        case .head(let head):
            encodeHead(head, allocator: allocator, into: &out)
        case .body(let body):
            guard chunked else { return out.append(body, allocator: allocator, write: write) }
            HTTP1ResponseEncoder.writeChunk(body, allocator: allocator, into: &out, write: write)
        case .end(let trailers):
            guard chunked else { return }
            chunked = false
            out.fill(reserving: 5, allocator: allocator) { HTTP1ResponseEncoder.writeLastChunk(trailers, into: &$0) }
        }
    }

    /// The head, read where it is; copied only when its framing headers need an edit (a copy was a
    /// retain and release of each of its fields, and the exchange keeps the head it sent).
    mutating func encodeHead(_ head: ProxyRequestHead, allocator: ByteBufferAllocator, into out: inout OutboundBytes) {
        if let framing = Self.framingAsIs(head) {
            writeHead(head, framing: framing, allocator: allocator, into: &out)
        } else {
            var edited = head
            let framing = Self.frame(&edited)
            writeHead(edited, framing: framing, allocator: allocator, into: &out)
        }
    }

    private mutating func writeHead(_ head: ProxyRequestHead, framing: HTTP1BodyFraming, allocator: ByteBufferAllocator, into out: inout OutboundBytes) {
        chunked = framing.chunked
        methods.sent(head.method)
        let lineBytes = head.headers.storedLineBytes
        var buffer = out.open(reserving: head.uri.utf8.count + lineBytes + 32 + framing.copiedBodyBytes, allocator: allocator)
        buffer.writeRequestLine(method: head.method, target: head.uri, version: head.version)
        buffer.writeFieldLinesAndEnd(head.headers, lineBytes: lineBytes)
        out.close(buffer)
    }

    /// The head's framing when `frame` would leave its headers as they are; nil when it edits them.
    static func framingAsIs(_ head: ProxyRequestHead) -> HTTP1BodyFraming? {
        let length = HTTP1BodyFraming.declaredLength(head.headers)
        let transferEncoding = head.headers.contains("transfer-encoding")
        switch head.method {
        case .TRACE:
            return transferEncoding || head.headers.contains("content-length") ? nil : HTTP1BodyFraming(chunked: false)
        case .POST, .PUT, .PATCH:
            if length != nil { return transferEncoding ? nil : HTTP1BodyFraming(chunked: false, length: length) }
            return head.version == .http1_1 ? nil : HTTP1BodyFraming(chunked: false)
        default:
            if length != nil { return transferEncoding ? nil : HTTP1BodyFraming(chunked: false, length: length) }
            return HTTP1BodyFraming(chunked: head.version == .http1_1 && transferEncoding && head.headers.first("transfer-encoding")?.lowercased() == "chunked")
        }
    }

    /// Sets the head's framing headers as NIO's encoder does.
    static func frame(_ head: inout ProxyRequestHead) -> HTTP1BodyFraming {
        let length = HTTP1BodyFraming.declaredLength(head.headers)
        switch head.method {
        case .TRACE:
            head.headers.remove("content-length")
            head.headers.remove("transfer-encoding")
            return HTTP1BodyFraming(chunked: false)
        case .POST, .PUT, .PATCH:
            if length != nil {
                head.headers.remove("transfer-encoding")
                return HTTP1BodyFraming(chunked: false, length: length)
            }
            guard head.version == .http1_1 else { return HTTP1BodyFraming(chunked: false) }
            head.headers.replaceOrAdd("transfer-encoding", value: "chunked")
            return HTTP1BodyFraming(chunked: true)
        default:
            if length != nil {
                head.headers.remove("transfer-encoding")
                return HTTP1BodyFraming(chunked: false, length: length)
            }
            return HTTP1BodyFraming(chunked: head.version == .http1_1 && head.headers.first("transfer-encoding")?.lowercased() == "chunked")
        }
    }
}
