import NIOCore
import NIOHTTP1
import WeftModel

/// Writes responses to an HTTP/1.1 client: the status line (the code's standard reason, as Envoy
/// writes it), the head's field lines as they came from the upstream with the route's edits, then
/// the body, chunked when the framing says so. Framing as NIO's encoder (which this replaces) set
/// it: a status that has no body carries no framing header; a Content-Length is kept (and a
/// Transfer-Encoding beside it dropped); otherwise HTTP/1.1 goes chunked.
final class HTTP1ResponseEncoder: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = DownstreamResponsePart
    typealias OutboundOut = IOData

    private var chunked = false

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head):
            chunked = Self.frame(&head)
            var buffer = context.channel.allocator.buffer(capacity: head.headers.lineBytes + 64)
            buffer.writeStaticString(head.version == .http1_0 ? "HTTP/1.0 " : "HTTP/1.1 ")
            Self.writeStatus(head.status, into: &buffer)
            head.headers.withLineRuns { buffer.writeBytes($0) }
            buffer.writeStaticString("\r\n")
            context.write(wrapOutboundOut(.byteBuffer(buffer)), promise: promise)
        case .body(let body):
            guard chunked else { return context.write(wrapOutboundOut(body), promise: promise) }
            Self.writeChunk(body, context: context, promise: promise)
        case .end(let trailers):
            guard chunked else {
                // Nothing to write: the promise (a close after the answer waits on it) completes in order.
                if let promise { context.write(wrapOutboundOut(.byteBuffer(ByteBuffer())), promise: promise) }
                return
            }
            chunked = false
            context.write(wrapOutboundOut(.byteBuffer(Self.lastChunk(trailers))), promise: promise)
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
    static func writeChunk(_ body: IOData, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        guard body.readableBytes > 0 else {
            promise?.succeed()
            return
        }
        var size = context.channel.allocator.buffer(capacity: 18)
        size.writeString(String(body.readableBytes, radix: 16))
        size.writeStaticString("\r\n")
        context.write(NIOAny(IOData.byteBuffer(size)), promise: nil)
        context.write(NIOAny(body), promise: nil)
        context.write(NIOAny(IOData.byteBuffer(ByteBuffer(staticString: "\r\n"))), promise: promise)
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
