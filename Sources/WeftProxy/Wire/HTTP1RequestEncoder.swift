import NIOCore
import NIOHTTP1
import WeftModel

/// Writes requests to an HTTP/1.1 upstream: the request line, the head's field lines copied as
/// they are (`HeaderFields.withLineRuns`: a few copies of received bytes, not a String per header),
/// then the body, chunked when the framing says so. The body framing follows NIO's encoder (which
/// this replaces): POST/PUT/PATCH without a Content-Length go chunked, TRACE carries none, other
/// methods are chunked only when the head says so. It tells the response decoder each request's
/// method (a HEAD's response has no body).
final class HTTP1RequestEncoder: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = UpstreamRequestPart
    typealias OutboundOut = IOData

    /// An upstream HTTP/1.1 connection's codec: this encoder and the response decoder, whose
    /// bytes read past a 101 go on (on removal) to the splice that takes over.
    static func addCodec(to pipeline: ChannelPipeline.SynchronousOperations) throws {
        let methods = UpstreamRequestMethods()
        try pipeline.addHandlers([HTTP1RequestEncoder(methods: methods), ByteToMessageHandler(HTTP1ResponseDecoder(methods: methods))])
    }

    private let methods: UpstreamRequestMethods
    private var chunked = false

    init(methods: UpstreamRequestMethods) {
        self.methods = methods
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head):
            chunked = Self.frame(&head)
            methods.sent(head.method)
            var buffer = context.channel.allocator.buffer(capacity: head.uri.utf8.count + head.headers.lineBytes + 32)
            buffer.writeString(head.method.rawValue)
            buffer.writeInteger(UInt8(ascii: " "))
            buffer.writeString(head.uri)
            buffer.writeStaticString(head.version == .http1_0 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n")
            head.headers.withLineRuns { buffer.writeBytes($0) }
            buffer.writeStaticString("\r\n")
            context.write(wrapOutboundOut(.byteBuffer(buffer)), promise: promise)
        case .body(let body):
            guard chunked else { return context.write(wrapOutboundOut(body), promise: promise) }
            HTTP1ResponseEncoder.writeChunk(body, context: context, promise: promise)
        case .end(let trailers):
            guard chunked else {
                // Nothing to write; a promise, if any, completes in order, after what went before.
                if let promise { context.write(wrapOutboundOut(.byteBuffer(ByteBuffer())), promise: promise) }
                return
            }
            chunked = false
            context.write(wrapOutboundOut(.byteBuffer(HTTP1ResponseEncoder.lastChunk(trailers))), promise: promise)
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
