import NIOCore
import NIOHTTP1
import NIOHTTP2

/// An HTTP/2 client's stream in the proxy's types: its frames become the proxy's request parts and
/// the proxy's response parts go out as frames, the heads translated by `HTTP2HeaderBlocks` (in
/// place of NIO's HTTP/2 ↔ HTTP/1 codec and a second handler from NIO's heads to the proxy's).
final class DownstreamStreamCodec: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias InboundOut = ProxyRequestPart
    typealias OutboundIn = DownstreamResponsePart
    typealias OutboundOut = HTTP2Frame.FramePayload

    /// The stream's first block has come: any later one holds trailers.
    private var headReceived = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .headers(let headers):
            guard !headReceived else { return context.fireChannelRead(wrapInboundOut(.end(HTTP2HeaderBlocks.trailers(headers.headers)))) }
            headReceived = true
            let head: ProxyRequestHead
            do {
                head = try HTTP2HeaderBlocks.request(headers.headers, endStream: headers.endStream)
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
        let payload: HTTP2Frame.FramePayload
        switch unwrapOutboundIn(data) {
        case .head(let head): payload = .headers(.init(headers: HTTP2HeaderBlocks.block(of: head)))
        case .body(let body): payload = .data(.init(data: body))
        case .end(let trailers?): payload = .headers(.init(headers: HTTP2HeaderBlocks.block(of: trailers), endStream: true))
        case .end(nil): payload = .data(.init(data: .byteBuffer(ByteBuffer()), endStream: true))
        }
        context.write(wrapOutboundOut(payload), promise: promise)
    }
}
