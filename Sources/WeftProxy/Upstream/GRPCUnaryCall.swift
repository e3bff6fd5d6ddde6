import NIOCore
import NIOHPACK
import NIOHTTP2

/// How a unary gRPC call ended.
enum GRPCUnaryOutcome: Sendable {
    /// `grpc-status: 0` with the response message (its bytes, unframed).
    case message(ByteBuffer)
    /// The server's status other than OK (or OK without a message), with `grpc-message`.
    case status(code: Int, message: String)
    /// No gRPC answer: the stream or connection failed, the HTTP status was not 200, the framing was wrong.
    case failed(String)
}

/// One unary gRPC call on an HTTP/2 stream (a stream of the proxy's own upstream pool, so secured
/// as any request to that endpoint is): the request's HEADERS and one length-prefixed message
/// ending the stream when the stream is active, then the response's HEADERS, DATA and trailers
/// read into an outcome. The message is taken uncompressed (no `grpc-accept-encoding` is sent).
final class GRPCUnaryCall: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    /// The largest response message taken (Envoy's gRPC client default, 4 MiB).
    static let maximumResponseBytes = 4 << 20

    private let headers: HPACKHeaders
    private let message: ByteBuffer
    private let promise: EventLoopPromise<GRPCUnaryOutcome>
    private var responseStarted = false
    private var received: ByteBuffer?

    /// A call to `path` (`/package.Service/Method`) at `authority`, `message` its serialized request;
    /// `timeout` goes to the server as `grpc-timeout`.
    init(path: String, authority: String, message: ByteBuffer, timeout: TimeAmount, promise: EventLoopPromise<GRPCUnaryOutcome>) {
        headers = [":method": "POST", ":scheme": "http", ":path": path, ":authority": authority,
                   "content-type": "application/grpc", "te": "trailers",
                   "grpc-timeout": "\(max(1, timeout.nanoseconds / 1_000_000))m"]
        self.message = message
        self.promise = promise
    }

    func channelActive(context: ChannelHandlerContext) {
        var framed = context.channel.allocator.buffer(capacity: 5 + message.readableBytes)
        framed.writeInteger(UInt8(0))
        framed.writeInteger(UInt32(message.readableBytes))
        framed.writeImmutableBuffer(message)
        context.write(wrapOutboundOut(.headers(.init(headers: headers))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.data(.init(data: .byteBuffer(framed), endStream: true))), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .headers(let frame):
            if !responseStarted {
                responseStarted = true
                guard frame.headers.first(name: ":status") == "200" else {
                    return finish(.failed("HTTP status \(frame.headers.first(name: ":status") ?? "none")"), context: context)
                }
                // Trailers-only: the status is in this one HEADERS frame.
                if frame.endStream { finish(trailers: frame.headers, context: context) }
            } else {
                finish(trailers: frame.headers, context: context)
            }
        case .data(let frame):
            guard case .byteBuffer(var bytes) = frame.data else { return }
            received.setOrWriteBuffer(&bytes)
            if (received?.readableBytes ?? 0) > Self.maximumResponseBytes + 5 {
                return finish(.failed("response message over \(Self.maximumResponseBytes) bytes"), context: context)
            }
            if frame.endStream { finish(.failed("no trailers"), context: context) }
        case .rstStream(let code):
            finish(.failed("stream reset (\(code))"), context: context)
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.succeed(.failed("stream closed before the answer ended"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(.failed("\(error)"), context: context)
    }

    private func finish(trailers: HPACKHeaders, context: ChannelHandlerContext) {
        guard let status = trailers.first(name: "grpc-status").flatMap({ Int($0) }) else {
            return finish(.failed("no grpc-status"), context: context)
        }
        let text = trailers.first(name: "grpc-message") ?? ""
        guard status == 0 else { return finish(.status(code: status, message: text), context: context) }
        guard var framed = received, let compressed = framed.readInteger(as: UInt8.self), let length = framed.readInteger(as: UInt32.self),
              let body = framed.readSlice(length: Int(length)) else {
            return finish(.status(code: 0, message: "no response message"), context: context)
        }
        finish(compressed == 0 ? .message(body) : .failed("a compressed response message"), context: context)
    }

    private func finish(_ outcome: GRPCUnaryOutcome, context: ChannelHandlerContext) {
        promise.succeed(outcome)
        context.close(promise: nil)
    }
}
