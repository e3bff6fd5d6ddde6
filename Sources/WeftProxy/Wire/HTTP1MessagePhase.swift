import NIOCore
import NIOHTTP1

/// Where an HTTP/1.1 decoder is between heads, shared by the request and the response decoders:
/// awaiting a head, reading a body (its parts delivered as they come, then the end), or stopped
/// after a switch of protocols, whose bytes go on to what replaces the decoder.
struct HTTP1MessagePhase<Head: Equatable> {
    typealias Part = HTTPPart<Head, ByteBuffer>

    enum State {
        case head
        case body(HTTP1BodyReader)
        case stopped
    }

    private(set) var state = State.head
    /// The message in progress is the last HTTP on the connection (CONNECT, an upgrade, a 101).
    var stopsAfterMessage = false

    /// A head was delivered: its body comes next (or its end, when it has none).
    mutating func begin(_ body: HTTP1BodyReader?, deliver: (consuming Part) -> Void) {
        if let body { state = .body(body) } else { end(trailers: nil, deliver: deliver) }
    }

    /// Reads what the body has in `buffer` and delivers it; `.needMoreData` once nothing more is there.
    mutating func decodeBody(buffer: inout ByteBuffer, deliver: (consuming Part) -> Void) throws -> DecodingState {
        guard case .body(var reader) = state else { return .needMoreData }
        let event = try reader.read(&buffer)
        state = .body(reader)
        switch event {
        case .body(let bytes)?:
            deliver(.body(bytes))
            if reader.finished { end(trailers: nil, deliver: deliver) }
            return .continue
        case .end(let trailers)?:
            end(trailers: trailers, deliver: deliver)
            return .continue
        case nil:
            return .needMoreData
        }
    }

    /// Delivers the message's end and awaits the next head (or stops).
    mutating func end(trailers: HTTPHeaders?, deliver: (consuming Part) -> Void) {
        state = stopsAfterMessage ? .stopped : .head
        deliver(.end(trailers))
    }

    /// The decoder leaves after a switch: the bytes read past the last message belong to what comes
    /// next (as NIO's `.forwardBytes`). True when stopped (nothing more is to be decoded).
    func forwardLeftovers(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) -> Bool {
        guard case .stopped = state else { return false }
        if !seenEOF, buffer.readableBytes > 0 { context.fireChannelRead(NIOAny(buffer.readSlice(length: buffer.readableBytes)!)) }
        return true
    }
}
