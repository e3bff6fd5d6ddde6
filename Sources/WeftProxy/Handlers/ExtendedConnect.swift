import Foundation
import NIOCore
import NIOHPACK
import NIOHTTP2

/// WebSocket over HTTP/2 (RFC 8441), as Envoy carries it: an extended CONNECT (`:method CONNECT`,
/// `:protocol websocket`) on a downstream stream becomes the HTTP/1.1 upgrade request the exchange
/// already proxies (`GET` with `Upgrade`/`Connection`, and a `Sec-WebSocket-Key` where the h2 client
/// sent none, since HTTP/1.1 servers require one); the upstream's 101 goes back as `200`
/// (`ProxyServerHandler`), and the stream is then spliced to the upstream connection, its DATA
/// frames carrying the bytes (`HTTP2StreamBytes`). First on every downstream HTTP/2 stream.
final class ExtendedConnectCodec: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias InboundOut = HTTP2Frame.FramePayload

    private enum State {
        case awaitingHead
        /// Translated; the client's DATA waits here until the upstream has switched protocols.
        case translated(held: [HTTP2Frame.FramePayload], bytes: Int)
        case passing
    }

    /// What a client may send before the upstream's answer: past it the stream is reset.
    static let heldLimit = 1 << 20

    private var state = State.awaitingHead
    private var context: ChannelHandlerContext?

    /// Whether the stream's request was an extended CONNECT (the request the exchange sees is its translation).
    var translated: Bool {
        if case .translated = state { return true }
        return false
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let payload = unwrapInboundIn(data)
        switch state {
        case .awaitingHead:
            guard case .headers(var headers) = payload, let upgrade = Self.upgradeRequest(headers.headers) else {
                // Any other request: this stream has no use for the handler (one call less per frame).
                state = .passing
                context.fireChannelRead(data)
                context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
                return
            }
            state = .translated(held: [], bytes: 0)
            // The HTTP/1.1 request ends with its head: what follows is the tunnel's.
            headers.headers = upgrade
            headers.endStream = true
            context.fireChannelRead(wrapInboundOut(.headers(headers)))
        case .translated(var held, var bytes):
            if case .data(let body) = payload { bytes += body.data.readableBytes }
            guard bytes <= Self.heldLimit else { return context.close(promise: nil) }
            held.append(payload)
            state = .translated(held: held, bytes: bytes)
        case .passing:
            context.fireChannelRead(data)
        }
    }

    /// The upstream switched protocols and the splice is in place behind this handler: what the
    /// client sent meanwhile goes to it, and everything after.
    func switched() {
        guard case .translated(let held, _) = state else { return }
        state = .passing
        guard let context else { return }
        for payload in held { context.fireChannelRead(wrapInboundOut(payload)) }
        context.fireChannelReadComplete()
    }

    /// The HTTP/1.1 upgrade an extended CONNECT stands for, nil for any other request.
    static func upgradeRequest(_ headers: HPACKHeaders) -> HPACKHeaders? {
        guard headers.first(name: ":method") == "CONNECT", let protocolName = headers.first(name: ":protocol") else { return nil }
        var translated = HPACKHeaders()
        for (name, value, indexing) in headers {
            switch name {
            case ":protocol": continue
            case ":method": translated.add(name: name, value: "GET", indexing: indexing)
            default: translated.add(name: name, value: value, indexing: indexing)
            }
        }
        translated.add(name: "upgrade", value: protocolName)
        translated.add(name: "connection", value: "upgrade")
        if protocolName.lowercased() == "websocket" {
            if !translated.contains(name: "sec-websocket-key") {
                translated.add(name: "sec-websocket-key", value: Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString())
            }
            if !translated.contains(name: "sec-websocket-version") { translated.add(name: "sec-websocket-version", value: "13") }
        }
        return translated
    }
}

/// A spliced HTTP/2 stream as bytes: DATA frames in and out; the client's END_STREAM is the input
/// closing, and a half-close from the splice ends the stream's own side.
final class HTTP2StreamBytes: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = HTTP2Frame.FramePayload

    /// END_STREAM has gone out.
    private var ended = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .data(let body):
            if case .byteBuffer(let buffer) = body.data, buffer.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(buffer)) }
            if body.endStream { context.fireUserInboundEventTriggered(ChannelEvent.inputClosed) }
        case .headers(let headers) where headers.endStream:
            context.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        default:
            break
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        context.write(wrapOutboundOut(.data(.init(data: .byteBuffer(unwrapOutboundIn(data))))), promise: promise)
    }

    /// The upstream's end (a FIN, or its connection closing) ends the stream with END_STREAM, as
    /// a tunnel's clean end should read, not with a reset. After a full close the client gets
    /// `endGrace` to end its side (the stream then closes on its own) before the stream is reset.
    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode != .input, !ended else { return context.close(mode: mode, promise: promise) }
        ended = true
        let end = context.writeAndFlush(wrapOutboundOut(.data(.init(data: .byteBuffer(ByteBuffer()), endStream: true))))
        end.cascade(to: promise)
        guard mode == .all else { return }
        let channel = context.channel
        let reset = channel.eventLoop.scheduleTask(in: Self.endGrace) { channel.close(promise: nil) }
        channel.closeFuture.whenComplete { _ in reset.cancel() }
    }

    /// How long a stream whose upstream has gone waits for the client's END_STREAM.
    static let endGrace = TimeAmount.seconds(5)
}
