import Glibc
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOHPACK
import NIOHTTP2
import Testing
import WeftDiscovery
import WeftModel
@testable import WeftProxy

/// The gRPC ext_authz check as Envoy fills it, the verdict of its answer, and the unary call's
/// framing on a stream (the end-to-end test answers with Envoy's generated messages in Python).
@Suite("external authorization over gRPC: the check")
struct ExternalAuthorizationGRPCCheckTests {
    @Test("the CheckRequest: method, path with its query, host, scheme, protocol, size, every header (pseudo-headers too, repeats joined), both ends and identities, the time")
    func checkRequest() throws {
        let head = ProxyRequestHead(method: .POST, uri: "/headers?a=1",
                                    headers: HeaderFields([("Host", "reviews:9080"), ("X-Ext-Authz", "allow"), ("x-multi", "1"), ("X-Multi", "2"), ("Content-Length", "12")]))
        let attributes = RequestAttributes(authority: "reviews:9080", path: "/headers?a=1", method: "POST", headers: [])
        let peers = ExternalAuthorizationGRPC.Peers(source: try SocketAddress(ipAddress: "127.0.0.7", port: 40_000), sourcePrincipal: "spiffe://cluster.local/ns/a/sa/client",
                                                    destination: try SocketAddress(ipAddress: "127.0.0.9", port: 9080), destinationPrincipal: "spiffe://cluster.local/ns/a/sa/reviews")
        let check = ExternalAuthorizationGRPC.checkRequest(head, attributes: attributes, peers: peers, http2: false, streamID: 42, time: timespec(tv_sec: 1_700_000_000, tv_nsec: 5))
        let http = check.attributes.request.http
        #expect(http.id == "42" && http.method == "POST" && http.path == "/headers?a=1" && http.host == "reviews:9080")
        #expect(http.scheme == "http" && http.protocol == "HTTP/1.1" && http.size == 12)
        #expect(http.headers["x-ext-authz"] == "allow" && http.headers["x-multi"] == "1,2" && http.headers["host"] == nil, "\(http.headers)")
        #expect(http.headers[":authority"] == "reviews:9080" && http.headers[":path"] == "/headers?a=1" && http.headers[":method"] == "POST")
        #expect(check.attributes.source.address.socketAddress.address == "127.0.0.7" && check.attributes.source.address.socketAddress.portValue == 40_000)
        #expect(check.attributes.source.principal == "spiffe://cluster.local/ns/a/sa/client")
        #expect(check.attributes.destination.address.socketAddress.portValue == 9080 && check.attributes.destination.principal == "spiffe://cluster.local/ns/a/sa/reviews")
        #expect(check.attributes.request.time.seconds == 1_700_000_000 && check.attributes.request.time.nanos == 5)
        let streamed = ExternalAuthorizationGRPC.checkRequest(ProxyRequestHead(method: .GET, uri: "/", headers: HeaderFields([("transfer-encoding", "chunked")])),
                                                              attributes: attributes, peers: .init(), http2: true, streamID: 1, time: timespec())
        #expect(streamed.attributes.request.http.size == -1 && streamed.attributes.request.http.protocol == "HTTP/2")
    }

    @Test("the body in the check: text in body, bytes in raw_body with packAsBytes, x-envoy-auth-partial-body among the headers")
    func body() {
        var check = ExtAuthzCheckRequest()
        ExternalAuthorizationGRPC.include((ByteBuffer(string: "a=1"), partial: true), packAsBytes: false, in: &check)
        #expect(check.attributes.request.http.body == "a=1" && check.attributes.request.http.rawBody.isEmpty)
        #expect(check.attributes.request.http.headers["x-envoy-auth-partial-body"] == "true")
        var packed = ExtAuthzCheckRequest()
        ExternalAuthorizationGRPC.include((ByteBuffer(bytes: [0, 255]), partial: false), packAsBytes: true, in: &packed)
        #expect(Array(packed.attributes.request.http.rawBody) == [0, 255] && packed.attributes.request.http.body.isEmpty)
        #expect(packed.attributes.request.http.headers["x-envoy-auth-partial-body"] == "false")
    }

    static func option(_ key: String, _ value: String, append: Bool? = nil) -> ExtAuthzHeaderValueOption {
        ExtAuthzHeaderValueOption.with { option in
            option.header = .with { $0.key = key; $0.value = value }
            if let append { option.append = .with { $0.value = append } }
        }
    }

    @Test("status OK allows: headers set (append unset or false) or appended (true), removals but pseudo-headers and Host, response headers; any other status denies with the DeniedHttpResponse, 403 without a status, flag UAEX")
    func verdicts() {
        let ok = ExtAuthzCheckResponse.with { response in
            response.okResponse = .with {
                $0.headers = [Self.option("X-User", "alice"), Self.option("x-added", "b", append: true), Self.option("x-set", "c", append: false)]
                $0.headersToRemove = ["x-secret", ":path", "host"]
                $0.responseHeadersToAdd = [Self.option("x-said", "hi")]
            }
        }
        guard case .allowed(let allowance) = ExternalAuthorizationGRPC.verdict(ok) else { Issue.record("not allowed"); return }
        #expect(allowance.set.map { "\($0.0)=\($0.1)" } == ["x-user=alice", "x-set=c"] && allowance.appended.map { "\($0.0)=\($0.1)" } == ["x-added=b"])
        #expect(allowance.removed == ["x-secret"] && allowance.downstream.map { "\($0.0)=\($0.1)" } == ["x-said=hi"])

        let denied = ExtAuthzCheckResponse.with { response in
            response.status = .with { $0.code = 7 }
            response.deniedResponse = .with { $0.status = .with { $0.code = 401 }; $0.body = "no"; $0.headers = [Self.option("x-why", "token")] }
        }
        guard case .denied(let answer) = ExternalAuthorizationGRPC.verdict(denied) else { Issue.record("not denied"); return }
        #expect(answer.status == 401 && answer.body == "no" && answer.flag == "UAEX" && answer.headers.map { "\($0.0)=\($0.1)" } == ["x-why=token"])
        guard case .denied(let bare) = ExternalAuthorizationGRPC.verdict(ExtAuthzCheckResponse.with { $0.status = .with { $0.code = 16 } }) else {
            Issue.record("not denied"); return
        }
        #expect(bare.status == 403 && bare.body.isEmpty)
        guard case .failed = ExternalAuthorizationGRPC.verdict(.status(code: 14, message: "unavailable")) else { Issue.record("a call's error status is a failure"); return }
        guard case .failed = ExternalAuthorizationGRPC.verdict(.message(ByteBuffer(bytes: [0xff, 0xff]))) else { Issue.record("an unreadable answer is a failure"); return }
    }

    @Test("the unary call: HEADERS with the gRPC request head and one length-prefixed message ending the stream; the answer's message read across DATA frames with its trailers; trailers-only, a non-200 and a reset are outcomes")
    func unaryCall() throws {
        func call(_ frames: [HTTP2Frame.FramePayload]) throws -> (sent: [HTTP2Frame.FramePayload], outcome: GRPCUnaryOutcome?) {
            let channel = EmbeddedChannel()
            let promise = channel.eventLoop.makePromise(of: GRPCUnaryOutcome.self)
            let outcome = NIOLockedValueBox<GRPCUnaryOutcome?>(nil)
            promise.futureResult.whenSuccess { result in outcome.withLockedValue { $0 = result } }
            try channel.pipeline.syncOperations.addHandler(GRPCUnaryCall(path: "/p.S/M", authority: "authz", message: ByteBuffer(bytes: [1, 2, 3]),
                                                                         timeout: .seconds(2), promise: promise))
            channel.pipeline.fireChannelActive()
            var sent: [HTTP2Frame.FramePayload] = []
            while let frame = try channel.readOutbound(as: HTTP2Frame.FramePayload.self) { sent.append(frame) }
            for frame in frames { try channel.writeInbound(frame) }
            _ = try? channel.finish()
            return (sent, outcome.withLockedValue { $0 })
        }
        let okHeaders: HPACKHeaders = [":status": "200", "content-type": "application/grpc"]
        var first = ByteBuffer(bytes: [0, 0, 0, 0, 4, 9])
        let second = ByteBuffer(bytes: [8, 7, 6])
        let answered = try call([.headers(.init(headers: okHeaders)), .data(.init(data: .byteBuffer(first))), .data(.init(data: .byteBuffer(second))),
                                 .headers(.init(headers: ["grpc-status": "0"], endStream: true))])
        guard case .headers(let head) = answered.sent.first, case .data(let body) = answered.sent.last, case .byteBuffer(let bytes) = body.data else {
            Issue.record("\(answered.sent)"); return
        }
        #expect(head.headers.first(name: ":path") == "/p.S/M" && head.headers.first(name: ":method") == "POST" && head.headers.first(name: "te") == "trailers")
        #expect(head.headers.first(name: "content-type") == "application/grpc" && head.headers.first(name: "grpc-timeout") == "2000m" && !head.endStream)
        #expect(Array(bytes.readableBytesView) == [0, 0, 0, 0, 3, 1, 2, 3] && body.endStream)
        guard case .message(let message)? = answered.outcome else { Issue.record("\(String(describing: answered.outcome))"); return }
        #expect(Array(message.readableBytesView) == [9, 8, 7, 6])
        first.clear()

        guard case .status(let code, let text)? = try call([.headers(.init(headers: [":status": "200", "grpc-status": "14", "grpc-message": "down"], endStream: true))]).outcome else {
            Issue.record("trailers-only"); return
        }
        #expect(code == 14 && text == "down")
        guard case .failed? = try call([.headers(.init(headers: [":status": "503"], endStream: true))]).outcome else { Issue.record("a non-200"); return }
        guard case .failed? = try call([.headers(.init(headers: okHeaders)), .rstStream(.refusedStream)]).outcome else { Issue.record("a reset"); return }
    }
}
