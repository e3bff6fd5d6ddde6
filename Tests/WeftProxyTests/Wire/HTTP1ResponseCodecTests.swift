import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
import WeftModel
@testable import WeftProxy

/// The proxy's own HTTP/1.1 response codec on `EmbeddedChannel`s: an upstream's answers read (and
/// refused), and the bytes written to the client.
@Suite("HTTP/1.1 response codec")
struct HTTP1ResponseCodecTests {
    /// An upstream connection's codec after `methods` were sent, fed `chunks`; EOF after them when `close`.
    static func responses(to methods: [HTTPMethod], _ chunks: [String], close: Bool = false) throws -> (parts: [ProxyResponsePart], channel: EmbeddedChannel) {
        let sent = UpstreamRequestMethods()
        for method in methods { sent.sent(method) }
        let channel = EmbeddedChannel(handler: HTTP1Reader(HTTP1ResponseDecoder(methods: sent)))
        for chunk in chunks { try channel.writeInbound(ByteBuffer(string: chunk)) }
        if close {
            channel.pipeline.fireChannelInactive()
            try channel.throwIfErrorCaught()
        }
        var parts: [ProxyResponsePart] = []
        while let part = try channel.readInbound(as: ProxyResponsePart.self) { parts.append(part) }
        return (parts, channel)
    }

    static func body(_ parts: [ProxyResponsePart]) -> String {
        parts.compactMap { if case .body(let buffer) = $0 { String(buffer: buffer) } else { nil } }.joined()
    }

    @Test("by length, chunked with trailers, and until the close; the fields are the received bytes")
    func framings() throws {
        let (byLength, _) = try Self.responses(to: [.GET], ["HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Up: a\r\n\r\nhel", "lo"])
        guard case .head(let head)? = byLength.first else { Issue.record("\(byLength)"); return }
        #expect(head.status == .ok && head.headers.first(name: "x-up") == "a" && head.isKeepAlive)
        #expect(Self.body(byLength) == "hello")
        let (chunked, _) = try Self.responses(to: [.GET], ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\ngrpc-status: 0\r\n\r\n"])
        #expect(Self.body(chunked) == "abc")
        guard case .end(let trailers)? = chunked.last else { Issue.record("\(chunked)"); return }
        #expect(trailers?["grpc-status"] == ["0"])
        let (untilClose, _) = try Self.responses(to: [.GET], ["HTTP/1.0 200 OK\r\n\r\nall of ", "it"], close: true)
        #expect(Self.body(untilClose) == "all of it")
        guard case .end? = untilClose.last else { Issue.record("\(untilClose)"); return }
    }

    @Test("a 100 Continue is dropped; 204 and 304 have no body; the custom code keeps its number")
    func interimAndBodiless() throws {
        let (parts, _) = try Self.responses(to: [.POST, .GET, .GET], ["HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
                                                                       "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", "HTTP/1.1 299 Odd\r\nContent-Length: 0\r\n\r\n"])
        let codes = parts.compactMap { if case .head(let head) = $0 { head.status.code } else { nil } }
        #expect(codes == [204, 304, 299])
        #expect(Self.body(parts).isEmpty)
    }

    @Test("after a 101 parsing stops; the bytes past it go on when the decoder leaves")
    func switching() throws {
        let (parts, channel) = try Self.responses(to: [.GET], ["HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\u{81}\u{1}x"])
        #expect(parts.count == 2)
        let decoder = try channel.pipeline.syncOperations.handler(type: HTTP1Reader.self)
        let removed = channel.pipeline.syncOperations.removeHandler(decoder)
        channel.embeddedEventLoop.run()
        try removed.wait()
        #expect(try channel.readInbound(as: ByteBuffer.self).map { String(buffer: $0) } == "\u{81}\u{1}x")
    }

    @Test("what cannot be read one way is a parser error (502 UPE); an answer nobody asked for is refused", arguments: [
        "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
        "HTTP/1.1 2x0 OK\r\n\r\n",
        "HTTP/2.0 200 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
        "garbage\r\n\r\n",
    ])
    func refused(text: String) {
        #expect(throws: HTTPParserError.self) { _ = try Self.responses(to: [.GET], [text]) }
    }

    @Test("framing and keep-alive read in one pass: equal lengths in a list are one, the last coding decides chunked, Connection's tokens in any case")
    func framingFields() throws {
        func fields(_ lines: String) throws -> HTTP1FramingFields {
            HTTP1FramingFields(try #require(HeaderFields(validating: Array(lines.utf8))))
        }
        let lengths = try fields("Content-Length: 7, 7\r\nX-A: b\r\ncontent-length: 7\r\n")
        #expect(lengths.hasContentLength && lengths.contentLength == 7 && !lengths.hasTransferEncoding && lengths.keepsAlive(.http1_1))
        for bad in ["Content-Length: 7\r\nContent-Length: 8\r\n", "Content-Length: 7x\r\n", "Content-Length: \r\n", "Content-Length: 7, ,7\r\n",
                    "Content-Length: 1234567890123456789\r\n"] {
            let read = try fields(bad)
            #expect(read.hasContentLength && read.contentLength == nil, "\(bad)")
        }
        let codings = try fields("Transfer-Encoding: gzip, Chunked\r\nConnection: Upgrade, CLOSE\r\n")
        #expect(codings.hasTransferEncoding && codings.chunkedLast && !codings.keepsAlive(.http1_1) && !codings.keepsAlive(.http1_0))
        let notLast = try fields("Transfer-Encoding: chunked\r\ntransfer-encoding: gzip\r\nConnection: keep-alive\r\n")
        #expect(!notLast.chunkedLast && notLast.keepsAlive(.http1_1) && notLast.keepsAlive(.http1_0))
        let none = try fields("X-Connection: close\r\n")
        #expect(!none.hasContentLength && !none.hasTransferEncoding && none.keepsAlive(.http1_1) && !none.keepsAlive(.http1_0))
        // The decoder's reading travels with the head; a head made otherwise is read when asked.
        let (closing, _) = try Self.responses(to: [.GET], ["HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"])
        guard case .head(let head)? = closing.first else { Issue.record("\(closing)"); return }
        #expect(head.keepAliveAsRead == false && !head.isKeepAlive)
        #expect(ProxyResponseHead(version: .http1_0, status: .ok).isKeepAlive == false)
        #expect(head == ProxyResponseHead(status: .ok, headers: head.headers))
    }

    @Test("an answer with no request before it, and a length cut short by the close, are errors")
    func unsolicitedAndShort() {
        #expect(throws: NIOHTTPDecoderError.self) { _ = try Self.responses(to: [], ["HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"]) }
        #expect(throws: HTTPParserError.invalidEOFState) { _ = try Self.responses(to: [.GET], ["HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"], close: true) }
    }

    static func written(_ parts: [DownstreamResponsePart]) throws -> String {
        try writes(parts).joined()
    }

    /// Each write the handler would make, the encoder's gathered bytes drained once at the end (a flush).
    static func writes(_ parts: [DownstreamResponsePart]) throws -> [String] {
        var encoder = HTTP1ResponseEncoder()
        var out = OutboundBytes()
        var writes: [String] = []
        let write = { (data: IOData) in
            if case .byteBuffer(let bytes) = data { writes.append(String(buffer: bytes)) }
        }
        for part in parts { encoder.encode(part, allocator: ByteBufferAllocator(), into: &out, write: write) }
        out.drain(write: write)
        return writes
    }

    @Test("a head and a small body go out as one write; a large body is passed on as it is, in order")
    func gathered() throws {
        let small = try Self.writes([.head(ProxyResponseHead(status: .ok, headers: [("content-length", "2")])), .body(.byteBuffer(ByteBuffer(string: "hi"))), .end(nil)])
        #expect(small == ["HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi"])
        let chunked = try Self.writes([.head(ProxyResponseHead(status: .ok, headers: [])), .body(.byteBuffer(ByteBuffer(string: "abc"))), .end(nil)])
        #expect(chunked == ["HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"])
        let large = String(repeating: "x", count: OutboundBytes.copyLimit + 1)
        let streamed = try Self.writes([.head(ProxyResponseHead(status: .ok, headers: [])), .body(.byteBuffer(ByteBuffer(string: large))), .end(nil)])
        #expect(streamed == ["HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1001\r\n", large, "\r\n0\r\n\r\n"])
    }

    @Test("to the client: the standard reason, the lines as they came with edits, framing as NIO's encoder set it")
    func encoder() throws {
        var fields = try #require(HeaderFields(validating: Array("Content-Length: 2\r\nX-Up: a\r\n".utf8)))
        fields.add(name: "server", value: "istio-envoy")
        #expect(try Self.written([.head(ProxyResponseHead(status: .ok, headers: fields)), .body(.byteBuffer(ByteBuffer(string: "hi"))), .end(nil)])
            == "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Up: a\r\nserver: istio-envoy\r\n\r\nhi")
        #expect(try Self.written([.head(ProxyResponseHead(status: .notFound, headers: [("x", "y")])), .body(.byteBuffer(ByteBuffer(string: "abc"))), .end(nil)])
            == "HTTP/1.1 404 Not Found\r\nx: y\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
        #expect(try Self.written([.head(ProxyResponseHead(status: .noContent, headers: [("content-length", "0")])), .end(nil)]) == "HTTP/1.1 204 No Content\r\n\r\n")
    }
    @Test("a response head is written as it is exactly when framing it would not edit it")
    func framingAsIs() {
        let fieldSets: [[(String, String)]] = [[], [("content-length", "5")], [("transfer-encoding", "chunked")],
                                               [("content-length", "5"), ("transfer-encoding", "chunked")]]
        for status in [HTTPResponseStatus.ok, .noContent, .notModified, .continue, .notFound] {
            for version in [HTTPVersion.http1_1, .http1_0] {
                for fields in fieldSets {
                    let head = ProxyResponseHead(version: version, status: status, headers: HeaderFields(fields))
                    var edited = head
                    let framing = HTTP1ResponseEncoder.frame(&edited)
                    if let asIs = HTTP1ResponseEncoder.framingAsIs(head) {
                        #expect(edited.headers == head.headers && asIs.chunked == framing.chunked && asIs.length == framing.length, "\(status) \(version) \(fields)")
                    } else {
                        #expect(edited.headers != head.headers || framing.chunked, "edited when said: \(status) \(version) \(fields)")
                    }
                }
            }
        }
    }
}
