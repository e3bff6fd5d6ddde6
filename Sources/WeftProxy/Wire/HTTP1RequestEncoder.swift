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

    /// An upstream HTTP/1.1 connection's codec: this encoder and NIO's response decoder, whose
    /// bytes read past a 101 go on (on removal) to the splice that takes over.
    static func addCodec(to pipeline: ChannelPipeline.SynchronousOperations) throws {
        let responses = HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes)
        try pipeline.addHandlers([HTTP1RequestEncoder(responses: responses), ByteToMessageHandler(UpstreamResponseDecoder(decoder: responses))])
    }

    private let responses: HTTPResponseDecoder
    private var chunked = false

    init(responses: HTTPResponseDecoder) {
        self.responses = responses
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head):
            chunked = Self.frame(&head)
            responses.write(data: .head(Self.methodOnly(head.method)))
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
            guard body.readableBytes > 0 else { promise?.succeed(); return }
            var size = context.channel.allocator.buffer(capacity: 18)
            size.writeString(String(body.readableBytes, radix: 16))
            size.writeStaticString("\r\n")
            context.write(wrapOutboundOut(.byteBuffer(size)), promise: nil)
            context.write(wrapOutboundOut(body), promise: nil)
            context.write(wrapOutboundOut(.byteBuffer(ByteBuffer(staticString: "\r\n"))), promise: promise)
        case .end(let trailers):
            guard chunked else {
                // Nothing to write; a promise, if any, completes in order, after what went before.
                if let promise { context.write(wrapOutboundOut(.byteBuffer(ByteBuffer())), promise: promise) }
                return
            }
            chunked = false
            var last = ByteBuffer(staticString: "0\r\n")
            if let trailers {
                for (name, value) in trailers {
                    last.writeString(name)
                    last.writeStaticString(": ")
                    last.writeString(value)
                    last.writeStaticString("\r\n")
                }
            }
            last.writeStaticString("\r\n")
            context.write(wrapOutboundOut(.byteBuffer(last)), promise: promise)
        }
    }

    /// Sets the head's framing headers as NIO's encoder does; true when the body goes chunked.
    static func frame(_ head: inout ProxyRequestHead) -> Bool {
        let hasLength = head.headers.contains(name: "content-length")
        switch head.method {
        case .TRACE:
            head.headers.remove(name: "content-length")
            head.headers.remove(name: "transfer-encoding")
            return false
        case .POST, .PUT, .PATCH:
            if hasLength {
                head.headers.remove(name: "transfer-encoding")
                return false
            }
            guard head.version == .http1_1 else { return false }
            head.headers.replaceOrAdd(name: "transfer-encoding", value: "chunked")
            return true
        default:
            if hasLength {
                head.headers.remove(name: "transfer-encoding")
                return false
            }
            return head.version == .http1_1 && head.headers.first(name: "transfer-encoding")?.lowercased() == "chunked"
        }
    }

    /// What the response decoder needs of a request: its method (NIO's head is otherwise empty).
    private static func methodOnly(_ method: HTTPMethod) -> HTTPRequestHead {
        switch method {
        case .GET: return getHead
        case .POST: return postHead
        default: return HTTPRequestHead(version: .http1_1, method: method, uri: "")
        }
    }
    private static let getHead = HTTPRequestHead(version: .http1_1, method: .GET, uri: "")
    private static let postHead = HTTPRequestHead(version: .http1_1, method: .POST, uri: "")
}

/// NIO's response decoder without its watch on the writes (it reads NIO's request type, and the
/// requests here are `UpstreamRequestPart`s): `HTTP1RequestEncoder` tells it each request's method.
struct UpstreamResponseDecoder: ByteToMessageDecoder {
    typealias InboundOut = HTTPClientResponsePart
    let decoder: HTTPResponseDecoder

    mutating func decoderAdded(context: ChannelHandlerContext) { decoder.decoderAdded(context: context) }
    mutating func decoderRemoved(context: ChannelHandlerContext) { decoder.decoderRemoved(context: context) }
    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        try decoder.decode(context: context, buffer: &buffer)
    }
    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try decoder.decodeLast(context: context, buffer: &buffer, seenEOF: seenEOF)
    }
}
