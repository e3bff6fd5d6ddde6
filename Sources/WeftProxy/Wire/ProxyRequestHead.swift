import NIOCore
import NIOHTTP1
import WeftModel

/// A request's head as the proxy carries it: the request line's parts, and the header fields as the
/// bytes they came in (`HeaderFields`), read by name when a step asks and written upstream as they
/// are with the edits made on the way. An HTTP/2 stream's header block is turned into one at the
/// stream's edge, and back into a block for an HTTP/2 upstream (`HTTP2HeaderBlocks`).
struct ProxyRequestHead: Equatable, Sendable {
    var method: HTTPMethod
    var uri: String
    var version: HTTPVersion
    var headers: HeaderFields
    /// The authority an absolute-form target named, split off when the request line was read (`uri`
    /// is then its origin form); nil otherwise.
    var targetAuthority: String?

    init(version: HTTPVersion = .http1_1, method: HTTPMethod, uri: String, headers: HeaderFields = HeaderFields(), targetAuthority: String? = nil) {
        self.version = version
        self.method = method
        self.uri = uri
        self.headers = headers
        self.targetAuthority = targetAuthority
    }

    /// The connection stays open after this exchange: HTTP/1.1 unless `Connection: close`, HTTP/1.0
    /// only with `Connection: keep-alive` (as NIO's `isKeepAlive` reads it).
    var isKeepAlive: Bool { Self.keepsAlive(version: version, headers: headers) }

    /// HTTP/1.1 unless `Connection: close`, HTTP/1.0 only with `Connection: keep-alive` (requests and responses alike).
    static func keepsAlive(version: HTTPVersion, headers: HeaderFields) -> Bool {
        let http11 = version.major == 1 && version.minor >= 1
        guard headers.contains("connection") else { return http11 }
        return http11 ? !headers.lists("close", in: "connection") : headers.lists("keep-alive", in: "connection")
    }
}

/// A request part with the proxy's head.
typealias ProxyRequestPart = HTTPPart<ProxyRequestHead, ByteBuffer>

/// A request part written to an upstream connection (HTTP/1.1's encoder or an HTTP/2 stream's adapter).
typealias UpstreamRequestPart = HTTPPart<ProxyRequestHead, IOData>
