import NIOCore
import NIOEmbedded
import Testing
import WeftModel
@testable import WeftProxy

/// ProxyServerHandler and UpstreamHandler driven through `EmbeddedChannel`s: the stories the
/// exchange's state machine is tested on, told in bytes through the real codecs.
@Suite("proxy handlers on embedded channels")
struct ProxyServerHandlerTests {
    static let ok = "HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\n"

    @Test("pipelined requests are answered in order, the second sent upstream only once the first is answered")
    func pipelining() throws {
        let proxy = try EmbeddedProxy()
        let upstream = try proxy.idleUpstream()
        try proxy.client("GET /a HTTP/1.1\r\nHost: svc\r\n\r\nGET /b HTTP/1.1\r\nHost: svc\r\n\r\n")
        let first = try proxy.upstreamReceived(upstream)
        #expect(first.hasPrefix("GET /a HTTP/1.1"), "the first request went upstream: \(first)")
        #expect(!first.contains("GET /b"), "the second waits")
        try proxy.upstream(upstream, sends: Self.ok + "a")
        proxy.loop.run()
        let second = try proxy.upstreamReceived(upstream)
        #expect(second.hasPrefix("GET /b HTTP/1.1"), "the held request went on the released connection: \(second)")
        try proxy.upstream(upstream, sends: Self.ok + "b")
        let answered = try proxy.clientReceived()
        let bodies = answered.components(separatedBy: "\r\n\r\n").dropFirst().map { $0.prefix(1) }
        #expect(bodies == ["a", "b"], "both answers, in order: \(answered)")
        #expect(proxy.downstream.isActive)
    }

    @Test("a configuration pushed between two requests of one connection applies to the second (its route removed: the blackhole's 502)")
    func configurationChangeOnOpenConnection() throws {
        let proxy = try EmbeddedProxy()
        let upstream = try proxy.idleUpstream()
        let generation = proxy.store.generation
        try proxy.client("GET /a HTTP/1.1\r\nHost: svc\r\n\r\n")
        #expect(try proxy.upstreamReceived(upstream).hasPrefix("GET /a HTTP/1.1"))
        try proxy.upstream(upstream, sends: Self.ok + "a")
        #expect(try proxy.clientReceived().hasPrefix("HTTP/1.1 200"))
        let routeless = RouteTable(name: "outbound", virtualHosts: [], fallback: .blackhole)
        proxy.store.install(ProxyConfiguration(version: "2", routeTables: [routeless], clusters: [], endpoints: []))
        #expect(proxy.store.generation == generation + 1, "each install is a new generation")
        try proxy.client("GET /b HTTP/1.1\r\nHost: svc\r\n\r\n")
        proxy.loop.run()
        let answered = try proxy.clientReceived()
        #expect(answered.hasPrefix("HTTP/1.1 502"), "the second request saw version 2's routes: \(answered)")
        #expect(try proxy.upstreamReceived(upstream).isEmpty, "nothing more went upstream")
    }

    @Test("the answer is framed anew for the client: to HTTP/1.0 without the upstream's Transfer-Encoding, to HTTP/1.1 chunked again; hop-by-hop headers and the upstream's peer metadata stop here")
    func responseFramedAnew() throws {
        let chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nKeep-Alive: timeout=5\r\nx-weft-peer-metadata: abc\r\nx-up: 1\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
        // The upstream's answer (chunked unless given), as a client sending `request` receives it.
        func answer(to request: String, upstreamAnswer: String = chunked) throws -> String {
            let proxy = try EmbeddedProxy()
            let upstream = try proxy.idleUpstream()
            try proxy.client(request)
            let forwarded = try proxy.upstreamReceived(upstream)
            // HTTP/1.1 upstream: persistent without a Connection of the proxy's own (as Envoy sends it).
            #expect(forwarded.hasPrefix("GET ") && !forwarded.lowercased().contains("connection:"), "\(forwarded)")
            try proxy.upstream(upstream, sends: upstreamAnswer)
            return try proxy.clientReceived()
        }
        let toOld = try answer(to: "GET /old HTTP/1.0\r\nHost: svc\r\n\r\n")
        #expect(toOld.hasPrefix("HTTP/1.0 200") && !toOld.lowercased().contains("transfer-encoding") && toOld.hasSuffix("\r\n\r\nabc"), "\(toOld)")
        #expect(toOld.contains("x-up: 1") && !toOld.lowercased().contains("keep-alive: timeout") && !toOld.contains("x-weft-peer-metadata"), "\(toOld)")
        #expect(toOld.lowercased().contains("connection: close"), "an HTTP/1.0 answer framed by the close says so: \(toOld)")
        let toCurrent = try answer(to: "GET /new HTTP/1.1\r\nHost: svc\r\n\r\n")
        #expect(toCurrent.lowercased().components(separatedBy: "transfer-encoding: chunked").count == 2 && toCurrent.hasSuffix("3\r\nabc\r\n0\r\n\r\n"), "\(toCurrent)")
        #expect(!toCurrent.lowercased().contains("connection:"), "HTTP/1.1 stays open without saying so: \(toCurrent)")
        let toOldKept = try answer(to: "GET /old HTTP/1.0\r\nHost: svc\r\nConnection: keep-alive\r\n\r\n", upstreamAnswer: Self.ok + "a")
        #expect(toOldKept.hasPrefix("HTTP/1.0 200") && toOldKept.lowercased().contains("connection: keep-alive"), "an HTTP/1.0 client's kept connection is said to be: \(toOldKept)")
    }

    @Test("a client closing mid-body tears the upstream connection down")
    func clientClosesMidBody() throws {
        let proxy = try EmbeddedProxy()
        let upstream = try proxy.idleUpstream()
        try proxy.client("POST /p HTTP/1.1\r\nHost: svc\r\ncontent-length: 100\r\n\r\n0123456789")
        let sent = try proxy.upstreamReceived(upstream)
        #expect(sent.hasPrefix("POST /p") && sent.hasSuffix("0123456789"), "the body streams as it comes: \(sent)")
        try proxy.downstream.close().wait()
        #expect(!upstream.isActive, "a half-sent request cannot be finished: its connection closes")
    }

    @Test("an upstream closing mid-body of its response closes the client's connection")
    func upstreamClosesMidBody() throws {
        let proxy = try EmbeddedProxy()
        let upstream = try proxy.idleUpstream()
        try proxy.client("GET / HTTP/1.1\r\nHost: svc\r\n\r\n")
        try proxy.upstream(upstream, sends: "HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n0123456789")
        try upstream.close().wait()
        let received = try proxy.clientReceived()
        #expect(received.hasPrefix("HTTP/1.1 200 OK") && received.hasSuffix("0123456789"), "head and body so far: \(received)")
        #expect(!proxy.downstream.isActive, "the response cannot end honestly: the client's connection closes")
    }

    @Test("a route timeout firing during the request body answers 504 UT and drops the upstream")
    func timeoutDuringBody() throws {
        var policy = RoutePolicy()
        policy.timeoutMs = 1000
        let proxy = try EmbeddedProxy(policy: policy)
        let upstream = try proxy.idleUpstream()
        try proxy.client("POST /slow HTTP/1.1\r\nHost: svc\r\ncontent-length: 100\r\n\r\n0123456789")
        proxy.loop.advanceTime(by: .milliseconds(999))
        #expect(try proxy.clientReceived().isEmpty, "not yet")
        proxy.loop.advanceTime(by: .milliseconds(1))
        let answer = try proxy.clientReceived()
        #expect(answer.hasPrefix("HTTP/1.1 504") && answer.hasSuffix("upstream request timeout"), "504: \(answer)")
        #expect(!upstream.isActive, "the upstream attempt is torn down")
        #expect(proxy.stats.value(cluster: EmbeddedProxy.cluster, "upstream_rq_timeout") == 1)
        try proxy.client(String(repeating: "x", count: 90))
        #expect(proxy.downstream.isActive, "the rest of the body is dropped and the connection kept")
    }

    @Test("a reset before the response is retried on another connection, with the attempt counted")
    func retryAfterReset() throws {
        var policy = RoutePolicy()
        policy.retry = RoutePolicy.Retry(attempts: 2, perTryTimeoutMs: nil, retryOn: ["reset"])
        let proxy = try EmbeddedProxy(policy: policy)
        let spare = try proxy.idleUpstream()
        let first = try proxy.idleUpstream()
        try proxy.client("GET /r HTTP/1.1\r\nHost: svc\r\n\r\n")
        let sent = try proxy.upstreamReceived(first)
        #expect(sent.hasPrefix("GET /r"), "the most recently pooled connection is taken first")
        try first.close().wait()
        proxy.loop.advanceTime(by: .milliseconds(250))
        let retried = try proxy.upstreamReceived(spare)
        #expect(retried.hasPrefix("GET /r") && retried.lowercased().contains("x-envoy-attempt-count: 2"), "sent again, attempt 2: \(retried)")
        // The client sent no x-request-id: the one the proxy made goes with every attempt.
        func requestID(_ text: String) -> Substring? {
            text.split(separator: "\r\n").first { $0.lowercased().hasPrefix("x-request-id: ") }?.dropFirst("x-request-id: ".count)
        }
        #expect(requestID(sent)?.count == 36 && requestID(sent) == requestID(retried), "\(sent) \(retried)")
        // The retry sends the first attempt's head again (kept, not rebuilt): the same lines, none twice, and its count.
        let retriedLines = retried.split(separator: "\r\n").filter { !$0.lowercased().hasPrefix("x-envoy-attempt-count:") }
        #expect(retriedLines == sent.split(separator: "\r\n"), "\(sent) \(retried)")
        try proxy.upstream(spare, sends: Self.ok + "r")
        let answer = try proxy.clientReceived()
        #expect(answer.hasPrefix("HTTP/1.1 200 OK") && answer.hasSuffix("r"), "the retry's answer: \(answer)")
        #expect(proxy.stats.value(cluster: EmbeddedProxy.cluster, "upstream_rq_retry") == 1)
    }
}
