import NIOCore
import NIOHTTP1
import NIOHTTP2

/// An HTTP/2 upstream's stream in the proxy's types: the proxy's request parts go out as frames and
/// the frames that come back become its response parts, the heads translated by `HTTP2HeaderBlocks`
/// (in place of NIO's HTTP/2 ↔ HTTP/1 client codec and a handler from NIO's heads to the proxy's).
/// As NIO's codec does, the last frame written is held until the next write or a flush, so the
/// request's end rides on it (END_STREAM) instead of an empty DATA frame of its own.
final class UpstreamStreamCodec: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias InboundOut = ProxyResponsePart
    typealias OutboundIn = UpstreamRequestPart
    typealias OutboundOut = HTTP2Frame.FramePayload

    /// The request's method, kept for the response's framing; nil before the head goes out.
    private var requestMethod: HTTPMethod?
    /// The final response head has come: a later block holds trailers.
    private var finalHeadReceived = false
    private var pending: (frame: HTTP2Frame.FramePayload, promise: EventLoopPromise<Void>?)?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .headers(let headers):
            guard !finalHeadReceived else { return context.fireChannelRead(wrapInboundOut(.end(HTTP2HeaderBlocks.trailers(headers.headers)))) }
            let head: ProxyResponseHead
            do {
                guard let requestMethod else { throw UpstreamStreamError.responseBeforeRequest }
                let response = try HTTP2HeaderBlocks.response(headers.headers, endStream: headers.endStream, requestMethod: requestMethod)
                head = response.head
                finalHeadReceived = !response.informational
            } catch {
                return context.fireErrorCaught(error)
            }
            HTTP2StreamParts.head(head, endStream: headers.endStream) { context.fireChannelRead(wrapInboundOut($0)) }
        case .data(let data):
            HTTP2StreamParts.data(data) { context.fireChannelRead(wrapInboundOut($0)) }
        default:
            break
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head):
            do {
                let block = try HTTP2HeaderBlocks.block(of: head)
                requestMethod = head.method
                hold(.headers(.init(headers: block)), promise: promise, context: context)
            } catch {
                promise?.fail(error)
                context.fireErrorCaught(error)
            }
        case .body(let body):
            hold(.data(.init(data: body)), promise: promise, context: context)
        case .end(let trailers):
            let held = pending
            pending = nil
            let trailerFrame = trailers.map { HTTP2Frame.FramePayload.headers(.init(headers: HTTP2HeaderBlocks.block(of: $0), endStream: true)) }
            switch (held, trailerFrame) {
            case (nil, nil):
                context.write(wrapOutboundOut(.data(.init(data: .byteBuffer(ByteBuffer()), endStream: true))), promise: promise)
            case (nil, let trailerFrame?):
                context.write(wrapOutboundOut(trailerFrame), promise: promise)
            case (var held?, nil):
                switch held.frame {
                case .data(var data): data.endStream = true; held.frame = .data(data)
                case .headers(var headers): headers.endStream = true; held.frame = .headers(headers)
                default: break
                }
                held.promise.setOrCascade(to: promise)
                context.write(wrapOutboundOut(held.frame), promise: held.promise)
            case (let held?, let trailerFrame?):
                context.write(wrapOutboundOut(held.frame), promise: held.promise)
                context.write(wrapOutboundOut(trailerFrame), promise: promise)
            }
        }
    }

    func flush(context: ChannelHandlerContext) {
        if let held = pending {
            pending = nil
            context.write(wrapOutboundOut(held.frame), promise: held.promise)
        }
        context.flush()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let held = pending {
            pending = nil
            held.promise?.fail(error)
        }
        context.fireErrorCaught(error)
    }

    /// Writes the frame held before and holds `frame`.
    private func hold(_ frame: HTTP2Frame.FramePayload, promise: EventLoopPromise<Void>?, context: ChannelHandlerContext) {
        if let held = pending { context.write(wrapOutboundOut(held.frame), promise: held.promise) }
        pending = (frame, promise)
    }
}

/// An upstream stream that answered what it was not asked.
enum UpstreamStreamError: Error {
    /// A response block came before the request's head went out.
    case responseBeforeRequest
}
