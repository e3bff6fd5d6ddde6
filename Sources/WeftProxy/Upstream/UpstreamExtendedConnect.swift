import Crypto
import Foundation
import NIOCore
import NIOHPACK
import NIOHTTP2

/// WebSocket to an HTTP/2 upstream (RFC 8441): the HTTP/1.1 upgrade request an exchange writes on
/// an upstream stream goes out as an extended CONNECT (`:method CONNECT`, `:protocol websocket`,
/// the stream left open for the tunnel); the server's 2xx reaches the exchange as a whole answer,
/// which switches protocols, and from then on the stream's DATA frames are the tunnel's bytes
/// (`HTTP2StreamBytes`, put in behind this handler). What the server sends before the splice is
/// in place waits here. Put first on a stream only for an upgrade request.
final class UpstreamExtendedConnect: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias InboundOut = HTTP2Frame.FramePayload
    typealias OutboundIn = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    private enum State {
        /// The request's head is yet to go out.
        case armed
        /// CONNECT sent; the server's answer is awaited.
        case connecting
        /// The server said yes: its DATA waits for the splice.
        case accepted(held: [HTTP2Frame.FramePayload])
        /// Refused (not 2xx), or spliced: frames pass as they are.
        case passing
    }

    private let protocolName: String
    private var state = State.armed
    private var context: ChannelHandlerContext?

    /// `protocolName`: the first token of the request's `Upgrade` (`websocket`).
    init(protocolName: String) {
        self.protocolName = protocolName
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch (state, unwrapOutboundIn(data)) {
        case (.armed, .headers(var request)):
            request.headers = Self.connectRequest(request.headers, protocolName: protocolName)
            request.endStream = false
            state = .connecting
            context.write(wrapOutboundOut(.headers(request)), promise: promise)
        case (.connecting, .data), (.connecting, .headers), (.accepted, .data), (.accepted, .headers):
            // The upgrade request's end (it has no body): the stream stays open for the tunnel.
            promise?.succeed(())
        default:
            context.write(data, promise: promise)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (state, unwrapInboundIn(data)) {
        case (.connecting, .headers(var answer)):
            guard let status = answer.headers.first(name: ":status").flatMap(Int.init), (200..<300).contains(status) else {
                state = .passing
                return context.fireChannelRead(data)
            }
            // A whole answer for the exchange: it switches protocols once the answer has ended.
            state = .accepted(held: [])
            answer.endStream = true
            context.fireChannelRead(wrapInboundOut(.headers(answer)))
        case (.accepted(var held), let frame):
            held.append(frame)
            state = .accepted(held: held)
        default:
            context.fireChannelRead(data)
        }
    }

    /// The splice is in place behind this handler: what the server sent meanwhile goes to it, then everything after.
    func switched() {
        guard case .accepted(let held) = state else { return }
        state = .passing
        guard let context else { return }
        for frame in held { context.fireChannelRead(wrapInboundOut(frame)) }
        context.fireChannelReadComplete()
    }

    /// The extended CONNECT an HTTP/1.1 upgrade request (as the stream's codec made it HTTP/2 headers) stands for.
    static func connectRequest(_ headers: HPACKHeaders, protocolName: String) -> HPACKHeaders {
        var connect = HPACKHeaders()
        var protocolAdded = false
        for (name, value, indexing) in headers {
            // Pseudo-headers come first: `:protocol` goes in with them.
            if !protocolAdded && !name.hasPrefix(":") {
                connect.add(name: ":protocol", value: protocolName)
                protocolAdded = true
            }
            switch name {
            case ":method": connect.add(name: name, value: "CONNECT", indexing: indexing)
            // The HTTP/1.1 handshake's own headers: RFC 8441 has no key to answer. A length would
            // bound the tunnel's bytes (a server counts DATA against it).
            case "sec-websocket-key", "upgrade", "connection", "content-length", "transfer-encoding": continue
            default: connect.add(name: name, value: value, indexing: indexing)
            }
        }
        if !protocolAdded { connect.add(name: ":protocol", value: protocolName) }
        return connect
    }

    /// RFC 6455's `Sec-WebSocket-Accept` for a client's key: an HTTP/1.1 client checks it in the
    /// 101, and an HTTP/2 server (which answers 200) gives none.
    static func acceptValue(forKey key: String) -> String {
        let digest = Insecure.SHA1.hash(data: Data((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8))
        return Data(digest).base64EncodedString()
    }
}
