import NIOCore
import NIOEmbedded
import NIOHPACK
import NIOHTTP1
import NIOHTTP2
import Testing
import WeftModel
@testable import WeftProxy

/// The stream codecs translate header blocks themselves; NIO's HTTP/2 ↔ HTTP/1 codecs, which they
/// replace, are the reference: each block must come out as NIO's codec makes it, field for field.
@Suite("HTTP/2 header blocks, as NIO's codecs translate them")
struct HTTP2HeaderBlocksTests {
    static func pairs(_ fields: HeaderFields) -> [String] { fields.map { "\($0.name): \($0.value)" } }
    static func pairs(_ headers: HTTPHeaders) -> [String] { headers.map { "\($0.name): \($0.value)" } }
    static func pairs(_ block: HPACKHeaders) -> [String] { block.map { "\($0.name): \($0.value)" } }

    static func request(_ fields: [(String, String)]) -> HPACKHeaders { HPACKHeaders(fields) }

    /// NIO's server codec's head for `block`, or nil where it refuses the block.
    static func nioRequest(_ block: HPACKHeaders, endStream: Bool) throws -> HTTPRequestHead? {
        let channel = EmbeddedChannel(handler: HTTP2FramePayloadToHTTP1ServerCodec())
        var errors: [any Error] = []
        try channel.pipeline.syncOperations.addHandler(ErrorCollector { errors.append($0) })
        try channel.writeInbound(HTTP2Frame.FramePayload.headers(.init(headers: block, endStream: endStream)))
        guard errors.isEmpty, case .head(let head)? = try channel.readInbound(as: HTTPServerRequestPart.self) else { return nil }
        return head
    }

    static let requestBlocks: [[(String, String)]] = [
        [(":method", "GET"), (":path", "/a?b=c"), (":scheme", "http"), (":authority", "svc:8080"), ("accept", "*/*")],
        [(":method", "GET"), (":path", "/"), (":scheme", "https"), (":authority", "svc"), ("host", "other"), ("x-a", "1"), ("x-a", "2")],
        [(":method", "POST"), (":path", "/post"), (":scheme", "http"), (":authority", "svc"), ("content-type", "application/grpc"), ("te", "trailers")],
        [(":method", "PUT"), (":path", "/p"), (":scheme", "http"), (":authority", "svc"), ("content-length", "5")],
        [(":method", "PATCH"), (":path", "/p"), (":scheme", "http"), (":authority", "svc")],
        [(":method", "BREW"), (":path", "/pot"), (":scheme", "http"), (":authority", "svc")],
        [(":method", "DELETE"), (":path", "/d"), (":scheme", "http"), (":authority", "svc")],
        // Refused by both: a pseudo-header missing, repeated, or with a byte a request line cannot hold.
        [(":method", "GET"), (":path", "/"), (":scheme", "http")],
        [(":method", "GET"), (":path", "/"), (":authority", "svc")],
        [(":method", "GET"), (":path", "/"), (":path", "/x"), (":scheme", "http"), (":authority", "svc")],
        [(":method", "GET"), (":path", "/a b"), (":scheme", "http"), (":authority", "svc")],
        [(":method", "GET"), (":path", "/a\r\nx: y"), (":scheme", "http"), (":authority", "svc")],
    ]

    @Test("a client's request block: method, path, host from :authority where none is sent, framing for a body, the regular fields in order; missing, repeated and malformed pseudo-headers refused")
    func requests() throws {
        for fields in Self.requestBlocks {
            for endStream in [true, false] {
                let block = Self.request(fields)
                let expected = try Self.nioRequest(block, endStream: endStream)
                let translated = try? HTTP2HeaderBlocks.request(block, endStream: endStream)
                #expect((expected == nil) == (translated == nil), "\(fields) endStream \(endStream): NIO \(String(describing: expected)), ours \(String(describing: translated))")
                guard let expected, let translated else { continue }
                #expect(translated.method == expected.method)
                #expect(translated.uri == expected.uri)
                #expect(translated.version == expected.version)
                #expect(Self.pairs(translated.headers) == Self.pairs(expected.headers), "\(fields) endStream \(endStream)")
            }
        }
    }

    /// What NIO's server codec writes for `head`.
    static func nioResponseBlock(_ head: HTTPResponseHead) throws -> HPACKHeaders? {
        let channel = EmbeddedChannel(handler: HTTP2FramePayloadToHTTP1ServerCodec())
        try channel.writeOutbound(HTTPServerResponsePart.head(head))
        guard case .headers(let headers)? = try channel.readOutbound(as: HTTP2Frame.FramePayload.self) else { return nil }
        return headers.headers
    }

    static let responseFields: [[(String, String)]] = [
        [("Content-Type", "text/plain"), ("Content-Length", "12"), ("Server", "nginx")],
        [("connection", "keep-alive, X-Hop"), ("Keep-Alive", "timeout=5"), ("X-Hop", "1"), ("x-end", "2"), ("Transfer-Encoding", "chunked")],
        [("Proxy-Connection", "x"), ("Upgrade", "h2c"), ("TE", "trailers"), ("Set-Cookie", "a=1"), ("set-cookie", "b=2")],
        [],
    ]

    @Test("a response head's block for a client: :status first, names lowercased, connection-specific fields and those Connection names left out; trailers the same")
    func responses() throws {
        for fields in Self.responseFields {
            for status in [HTTPResponseStatus.ok, .notFound, .noContent] {
                let ours = HTTP2HeaderBlocks.block(of: ProxyResponseHead(version: .http1_1, status: status, headers: HeaderFields(fields)))
                let nio = try Self.nioResponseBlock(HTTPResponseHead(version: .http1_1, status: status, headers: HTTPHeaders(fields)))
                #expect(Self.pairs(ours) == nio.map(Self.pairs), "\(fields) \(status)")
            }
            let trailers = HTTPHeaders(fields)
            let channel = EmbeddedChannel(handler: HTTP2FramePayloadToHTTP1ServerCodec())
            try channel.writeOutbound(HTTPServerResponsePart.end(trailers))
            guard case .headers(let nio)? = try channel.readOutbound(as: HTTP2Frame.FramePayload.self) else { Issue.record("no trailers from NIO"); continue }
            #expect(Self.pairs(HTTP2HeaderBlocks.block(of: trailers)) == Self.pairs(nio.headers), "trailers \(fields)")
        }
    }

    @Test("a request's block for an upstream stream: :path, :method, :scheme http, :authority from host, then the normalised fields; no host or two refused")
    func upstreamRequests() throws {
        let heads: [[(String, String)]] = [
            [("Host", "svc:8080"), ("User-Agent", "curl"), ("x-b3-traceid", "1")],
            [("accept", "*/*"), ("host", "svc"), ("Connection", "close, X-Drop"), ("X-Drop", "1"), ("te", "trailers")],
            [("accept", "*/*")],
            [("host", "a"), ("Host", "b")],
        ]
        for fields in heads {
            let head = ProxyRequestHead(method: .POST, uri: "/svc.Echo/Say", headers: HeaderFields(fields))
            let channel = EmbeddedChannel(handler: HTTP2FramePayloadToHTTP1ClientCodec(httpProtocol: .http))
            var errors: [any Error] = []
            try channel.pipeline.syncOperations.addHandler(ErrorCollector { errors.append($0) })
            _ = try? channel.writeOutbound(HTTPClientRequestPart.head(HTTPRequestHead(version: .http1_1, method: .POST, uri: "/svc.Echo/Say", headers: HTTPHeaders(fields))))
            channel.flush()
            let nio = try channel.readOutbound(as: HTTP2Frame.FramePayload.self)
            let ours = try? HTTP2HeaderBlocks.block(of: head)
            guard case .headers(let expected)? = nio, errors.isEmpty else {
                #expect(ours == nil, "\(fields): NIO refused, ours \(String(describing: ours))")
                continue
            }
            #expect(ours.map(Self.pairs) == Self.pairs(expected.headers), "\(fields)")
        }
    }

    @Test("an upstream's response block: informational heads as they are, final heads framed for an HTTP/1.1 reader as NIO frames them (none for 204, 304, HEAD, a stated length)")
    func upstreamResponses() throws {
        let cases: [(method: HTTPMethod, fields: [(String, String)], endStream: Bool)] = [
            (.GET, [(":status", "200"), ("content-type", "text/plain")], false),
            (.GET, [(":status", "200"), ("content-type", "text/plain")], true),
            (.GET, [(":status", "200"), ("content-length", "3")], false),
            (.HEAD, [(":status", "200")], false),
            (.GET, [(":status", "204")], true),
            (.GET, [(":status", "304"), ("etag", "x")], true),
            (.POST, [(":status", "503"), ("grpc-status", "14")], true),
            (.GET, [(":status", "20x")], true),
            (.GET, [(":status", "100")], false),
        ]
        for item in cases {
            let block = HPACKHeaders(item.fields)
            let channel = EmbeddedChannel(handler: HTTP2FramePayloadToHTTP1ClientCodec(httpProtocol: .http))
            var errors: [any Error] = []
            try channel.pipeline.syncOperations.addHandler(ErrorCollector { errors.append($0) })
            try channel.writeOutbound(HTTPClientRequestPart.head(HTTPRequestHead(version: .http1_1, method: item.method, uri: "/", headers: ["host": "svc"])))
            try channel.writeInbound(HTTP2Frame.FramePayload.headers(.init(headers: block, endStream: item.endStream)))
            let nio = try channel.readInbound(as: HTTPClientResponsePart.self)
            let ours = try? HTTP2HeaderBlocks.response(block, endStream: item.endStream, requestMethod: item.method).head
            guard case .head(let expected)? = nio, errors.isEmpty else {
                #expect(ours == nil, "\(item.fields): NIO refused, ours \(String(describing: ours))")
                continue
            }
            #expect(ours?.status == expected.status, "\(item.fields)")
            #expect(ours.map { Self.pairs($0.headers) } == Self.pairs(expected.headers), "\(item.method) \(item.fields) endStream \(item.endStream)")
        }
    }
}

/// Collects the errors a pipeline fires.
private final class ErrorCollector: ChannelInboundHandler {
    typealias InboundIn = Any
    let collect: (any Error) -> Void
    init(_ collect: @escaping (any Error) -> Void) { self.collect = collect }
    func errorCaught(context: ChannelHandlerContext, error: any Error) { collect(error) }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) { context.fireChannelRead(data) }
}
