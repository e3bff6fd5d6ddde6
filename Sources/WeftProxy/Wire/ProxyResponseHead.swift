import NIOCore
import NIOHTTP1
import WeftModel

/// A response's head as the proxy carries it: the status, and the header fields as the bytes they
/// came in from the upstream (`HeaderFields`), written downstream as they are with the route's edits.
/// An HTTP/2 stream's header block is turned into one at the stream's edge, and back into a block
/// for an HTTP/2 client (`HTTP2HeaderBlocks`).
struct ProxyResponseHead: Equatable, Sendable {
    var version: HTTPVersion
    var status: HTTPResponseStatus
    var headers: HeaderFields
    /// Whether the connection stays open after this response, as the decoder read it with the
    /// framing (nil for a head not read from HTTP/1.1 bytes): not looked up again.
    var keepAliveAsRead: Bool?

    init(version: HTTPVersion = .http1_1, status: HTTPResponseStatus, headers: HeaderFields = HeaderFields()) {
        self.version = version
        self.status = status
        self.headers = headers
        keepAliveAsRead = nil
    }

    static func == (lhs: ProxyResponseHead, rhs: ProxyResponseHead) -> Bool {
        lhs.version == rhs.version && lhs.status == rhs.status && lhs.headers == rhs.headers
    }

    /// The connection stays open after this response (as NIO's `isKeepAlive` reads it).
    var isKeepAlive: Bool { keepAliveAsRead ?? ProxyRequestHead.keepsAlive(version: version, headers: headers) }
}

/// A response part read from an upstream.
typealias ProxyResponsePart = HTTPPart<ProxyResponseHead, ByteBuffer>
/// A response part written to the client (HTTP/1.1's encoder or an HTTP/2 stream's adapter).
typealias DownstreamResponsePart = HTTPPart<ProxyResponseHead, IOData>
