import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
import WeftModel
@testable import WeftProxy

/// The proxy's own HTTP/1.1 request codec, one step at a time on an `EmbeddedChannel`: what the
/// decoder makes of bytes (and refuses), and the bytes the encoder writes upstream.
@Suite("HTTP/1.1 request codec (and the upstream response decoder it feeds)")
struct HTTP1RequestCodecTests {
    static func decoding(_ chunks: [String]) throws -> (parts: [ProxyRequestPart], channel: EmbeddedChannel) {
        let channel = EmbeddedChannel(handler: HTTP1Reader(HTTP1RequestDecoder()))
        for chunk in chunks { try channel.writeInbound(ByteBuffer(string: chunk)) }
        var parts: [ProxyRequestPart] = []
        while let part = try channel.readInbound(as: ProxyRequestPart.self) { parts.append(part) }
        return (parts, channel)
    }

    static func body(_ parts: [ProxyRequestPart]) -> String {
        parts.compactMap { if case .body(let buffer) = $0 { String(buffer: buffer) } else { nil } }.joined()
    }

    @Test("a GET: head then end; the fields are read from the bytes, the request line parsed")
    func get() throws {
        let (parts, _) = try Self.decoding(["GET /a?b=1 HTTP/1.1\r\nHost: svc\r\nUser-Agent: curl/8\r\n\r\n"])
        guard parts.count == 2, case .head(let head) = parts[0], case .end(nil) = parts[1] else { Issue.record("\(parts)"); return }
        #expect(head.method == .GET && head.uri == "/a?b=1" && head.version == .http1_1)
        #expect(head.headers.first(name: "host") == "svc" && head.headers.first(name: "user-agent") == "curl/8")
        #expect(head.isKeepAlive)
    }

    @Test("an absolute-form target is split where the line is read: the origin form as the target, the authority beside it")
    func absoluteFormTarget() throws {
        let targets = ["http://reviews.default.svc:9080/reviews/0?x=1", "HTTPS://Host:8443", "http://host?q=2", "/plain/path", "*", "reviews:9080"]
        let (parts, _) = try Self.decoding(targets.map { "OPTIONS \($0) HTTP/1.1\r\nHost: from-header\r\n\r\n" })
        let heads = parts.compactMap { if case .head(let head) = $0 { head } else { nil } }
        #expect(heads.map(\.uri) == ["/reviews/0?x=1", "/", "/?q=2", "/plain/path", "*", "reviews:9080"])
        #expect(heads.map(\.targetAuthority) == ["reviews.default.svc:9080", "Host:8443", "host", nil, nil, nil])
        // Routing reads the split target, or the Host header where the target names no authority.
        #expect(heads.map { ForwardedHeaders.target(of: $0).authority } == ["reviews.default.svc:9080", "Host:8443", "host", "from-header", "from-header", "from-header"])
        // A head made otherwise (an absolute target kept whole) is split the same way when routed.
        let made = ProxyRequestHead(method: .GET, uri: "http://ratings:9080/ratings/1", headers: [("host", "from-header")])
        #expect(ForwardedHeaders.target(of: made) == ("ratings:9080", "/ratings/1"))
        #expect(RequestTarget("/kept") == RequestTarget(authority: nil, originForm: "/kept"))
    }

    @Test("a body by Content-Length split over reads, then a pipelined request; a head split byte by byte")
    func contentLengthAndPipelining() throws {
        let request = "POST /p HTTP/1.1\r\nHost: svc\r\nContent-Length: 11\r\n\r\nhello world"
        let (parts, _) = try Self.decoding(["POST /p HTTP/1.1\r\nHost: svc\r\nContent-Len", "gth: 11\r\n\r\nhello", " world", "GET /next HTTP/1.1\r\nHost: svc\r\n\r\n"])
        #expect(Self.body(parts) == "hello world")
        let heads = parts.compactMap { if case .head(let head) = $0 { head.uri } else { nil } }
        #expect(heads == ["/p", "/next"])
        #expect(parts.filter { if case .end = $0 { true } else { false } }.count == 2)
        let (bytewise, _) = try Self.decoding(request.map { String($0) })
        #expect(Self.body(bytewise) == "hello world")
    }

    @Test("a chunked body is de-chunked, extensions ignored, trailers delivered at the end")
    func chunked() throws {
        let (parts, _) = try Self.decoding(["PUT /c HTTP/1.1\r\nHost: svc\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n", "6\r\n wor", "ld\r\n0\r\nX-Sum: 9\r\n\r\n"])
        #expect(Self.body(parts) == "hello world")
        guard case .end(let trailers)? = parts.last else { Issue.record("\(parts)"); return }
        #expect(trailers?["x-sum"] == ["9"])
    }

    @Test("framing that could be read two ways, and malformed heads, are refused", arguments: [
        ("POST / HTTP/1.1\r\nHost: s\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", "CL and TE"),
        ("POST / HTTP/1.1\r\nHost: s\r\nTransfer-Encoding: gzip\r\n\r\n", "TE not ending in chunked"),
        ("POST / HTTP/1.0\r\nHost: s\r\nTransfer-Encoding: chunked\r\n\r\n", "TE on HTTP/1.0"),
        ("POST / HTTP/1.1\r\nHost: s\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", "differing lengths"),
        ("POST / HTTP/1.1\r\nHost: s\r\nContent-Length: -1\r\n\r\n", "negative length"),
        ("POST / HTTP/1.1\r\nHost: s\r\nContent-Length: 1e3\r\n\r\n", "not digits"),
        ("GET / HTTP/1.1\r\nHost : s\r\n\r\n", "space before colon"),
        ("GET / HTTP/1.1\r\nHost: s\r\n folded\r\n\r\n", "folded line"),
        ("GET / HTTP/1.1\nHost: s\n\n", "bare LF"),
        ("GET /a b HTTP/1.1\r\nHost: s\r\n\r\n", "space in target"),
        ("GET /a-long-target-past-eight\u{7F}bytes HTTP/1.1\r\nHost: s\r\n\r\n", "DEL in a long target"),
        ("GET http://host:8080/a\tb HTTP/1.1\r\nHost: s\r\n\r\n", "tab in an absolute target"),
        ("GET / HTTP/2.0\r\nHost: s\r\n\r\n", "version"),
        ("G(T / HTTP/1.1\r\nHost: s\r\n\r\n", "method"),
        ("POST / HTTP/1.1\r\nHost: s\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "chunk size"),
    ])
    func refused(text: String, why: String) {
        #expect(throws: HTTPParserError.self, "\(why)") { _ = try Self.decoding([text]) }
    }

    @Test("after a refused head the reader decodes nothing more: one error reaches the pipeline, later bytes are dropped")
    func nothingAfterError() throws {
        let channel = EmbeddedChannel(handler: HTTP1Reader(HTTP1RequestDecoder()))
        #expect(throws: HTTPParserError.self) { try channel.writeInbound(ByteBuffer(string: "G(T / HTTP/1.1\r\nHost: s\r\n\r\n")) }
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: s\r\n\r\n"))
        #expect(try channel.readInbound(as: ProxyRequestPart.self) == nil)
    }

    @Test("a head past 64 KiB is a header overflow (431), whether or not it has ended")
    func overflow() {
        let big = String(repeating: "a", count: 70 * 1024)
        #expect(throws: HTTPParserError.headerOverflow) { _ = try Self.decoding(["GET / HTTP/1.1\r\nX-Big: \(big)\r\n\r\n"]) }
        #expect(throws: HTTPParserError.headerOverflow) { _ = try Self.decoding(["GET / HTTP/1.1\r\nX-Big: \(big)"]) }
    }

    @Test("after an upgrade request parsing stops; the bytes past it go on when the decoder leaves")
    func upgradeLeftovers() throws {
        let (parts, channel) = try Self.decoding(["GET /ws HTTP/1.1\r\nHost: s\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n\u{1}\u{2}frame"])
        #expect(parts.count == 2)
        let decoder = try channel.pipeline.syncOperations.handler(type: HTTP1Reader.self)
        let removed = channel.pipeline.syncOperations.removeHandler(decoder)
        channel.embeddedEventLoop.run()
        try removed.wait()
        let leftover = try channel.readInbound(as: ByteBuffer.self)
        #expect(leftover.map { String(buffer: $0) } == "\u{1}\u{2}frame")
    }

    static func encoded(_ parts: [UpstreamRequestPart], methods: UpstreamRequestMethods = UpstreamRequestMethods()) throws -> String {
        var encoder = HTTP1RequestEncoder(methods: methods)
        var out = OutboundBytes()
        var text = ""
        let write = { (data: IOData) in
            if case .byteBuffer(let bytes) = data { text += String(buffer: bytes) }
        }
        for part in parts { encoder.encode(part, allocator: ByteBufferAllocator(), into: &out, write: write) }
        out.drain(write: write)
        return text
    }

    @Test("upstream, the received lines are written as they came with the edits; bodies framed as NIO frames them")
    func encoder() throws {
        var fields = try #require(HeaderFields(validating: Array("Host: svc\r\nContent-Length: 5\r\nConnection: close\r\n".utf8)))
        fields.remove(name: "connection")
        fields.add(name: "x-request-id", value: "r1")
        let head = ProxyRequestHead(method: .POST, uri: "/p", headers: fields)
        #expect(try Self.encoded([.head(head), .body(.byteBuffer(ByteBuffer(string: "hello"))), .end(nil)])
            == "POST /p HTTP/1.1\r\nHost: svc\r\nContent-Length: 5\r\nx-request-id: r1\r\n\r\nhello")
        // A POST with no length (from an HTTP/2 client) goes chunked, trailers and all.
        let streamed = ProxyRequestHead(method: .POST, uri: "/s", headers: [("host", "svc")])
        var trailers = HTTPHeaders()
        trailers.add(name: "grpc-status", value: "0")
        #expect(try Self.encoded([.head(streamed), .body(.byteBuffer(ByteBuffer(string: "abc"))), .end(trailers)])
            == "POST /s HTTP/1.1\r\nhost: svc\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\ngrpc-status: 0\r\n\r\n")
        // A GET keeps no framing header it did not have.
        #expect(try Self.encoded([.head(ProxyRequestHead(method: .GET, uri: "/", headers: [("host", "svc")])), .end(nil)]) == "GET / HTTP/1.1\r\nhost: svc\r\n\r\n")
    }

    @Test("a head is written as it is exactly when framing it would not edit it; then with the framing editing it would give")
    func framingAsIs() throws {
        let fieldSets: [[(String, String)]] = [[], [("content-length", "5")], [("transfer-encoding", "chunked")], [("transfer-encoding", "gzip")],
                                               [("content-length", "5"), ("transfer-encoding", "chunked")], [("Content-Length", "0")]]
        for method in [HTTPMethod.GET, .HEAD, .POST, .PUT, .PATCH, .DELETE, .TRACE, .OPTIONS] {
            for version in [HTTPVersion.http1_1, .http1_0] {
                for fields in fieldSets {
                    let head = ProxyRequestHead(version: version, method: method, uri: "/", headers: HeaderFields(fields))
                    var edited = head
                    let framing = HTTP1RequestEncoder.frame(&edited)
                    if let asIs = HTTP1RequestEncoder.framingAsIs(head) {
                        #expect(edited.headers == head.headers && asIs.chunked == framing.chunked && asIs.length == framing.length, "\(method) \(version) \(fields)")
                    } else {
                        #expect(edited.headers != head.headers || edited.headers.map(\.name) != head.headers.map(\.name)
                                || method == .POST || method == .PUT || method == .PATCH, "edited when said: \(method) \(version) \(fields)")
                    }
                }
            }
        }
    }

    @Test("the response decoder is told a HEAD was sent: its Content-Length answer has no body")
    func headResponse() throws {
        let methods = UpstreamRequestMethods()
        _ = try Self.encoded([.head(ProxyRequestHead(method: .HEAD, uri: "/", headers: [("host", "svc")])), .end(nil),
                              .head(ProxyRequestHead(method: .GET, uri: "/", headers: [("host", "svc")])), .end(nil)], methods: methods)
        let channel = EmbeddedChannel(handler: HTTP1Reader(HTTP1ResponseDecoder(methods: methods)))
        try channel.writeInbound(ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"))
        var parts: [ProxyResponsePart] = []
        while let part = try channel.readInbound(as: ProxyResponsePart.self) { parts.append(part) }
        // The 204 is read as the second answer, not as 100 bytes of the first's body.
        guard parts.count == 4, case .head(let head) = parts[0], case .end = parts[1], case .head(let second) = parts[2] else { Issue.record("\(parts)"); return }
        #expect(head.status == .ok && second.status == .noContent)
    }
}
