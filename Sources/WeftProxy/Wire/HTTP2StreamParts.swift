import NIOCore
import NIOHTTP1
import NIOHTTP2

/// What a stream's frames read as, in message parts, for either side's codec.
enum HTTP2StreamParts {
    /// A head, and the message's end when its block ended the stream.
    static func head<Head>(_ head: Head, endStream: Bool, _ fire: (HTTPPart<Head, ByteBuffer>) -> Void) {
        fire(.head(head))
        if endStream { fire(.end(nil)) }
    }

    /// A DATA frame's bytes (none for an empty frame that ends the stream), then the end if it is the last.
    static func data<Head>(_ data: HTTP2Frame.FramePayload.Data, _ fire: (HTTPPart<Head, ByteBuffer>) -> Void) {
        // Frames read from the network hold buffers (a file region is only ever written).
        guard case .byteBuffer(let buffer) = data.data else { return }
        if buffer.readableBytes > 0 || !data.endStream { fire(.body(buffer)) }
        if data.endStream { fire(.end(nil)) }
    }
}
