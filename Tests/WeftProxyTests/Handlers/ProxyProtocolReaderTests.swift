import NIOCore
import Testing
@testable import WeftProxy

/// A gateway connection behind PROXY protocol on the proxy's real handlers (EmbeddedProxy): the
/// header read in pieces, then the request served as the header's client's; a connection that
/// sends something else, a malformed header or nothing in time is closed and counted.
@Suite("PROXY protocol reader")
struct ProxyProtocolReaderTests {
    static let edge = GatewayEdge(proxyProtocol: true)

    @Test("a header in two pieces, then a request: forwarded with the header's client in X-Forwarded-For and X-Envoy-External-Address")
    func served() throws {
        let proxy = try EmbeddedProxy(edge: Self.edge)
        let upstream = try proxy.idleUpstream()
        try proxy.client("PROXY TCP4 203.0.113.7 198.51.1")
        try proxy.client("00.2 56324 80\r\nGET /a HTTP/1.1\r\nHost: svc\r\n\r\n")
        let forwarded = try proxy.upstreamReceived(upstream).lowercased()
        #expect(forwarded.hasPrefix("get /a http/1.1"), "\(forwarded)")
        #expect(forwarded.contains("x-forwarded-for: 203.0.113.7\r\n"), "\(forwarded)")
        #expect(forwarded.contains("x-envoy-external-address: 203.0.113.7\r\n"), "\(forwarded)")
        #expect(!forwarded.contains("proxy tcp4"), "the header is not forwarded")
        #expect(proxy.stats.value("proxy_proto.versions.v1.found") == 1)
        #expect(proxy.downstream.isActive)
    }

    @Test("no header, a malformed one: closed before any request is read, counted as Envoy counts them", arguments: [
        ("GET / HTTP/1.1\r\nHost: svc\r\n\r\n", "proxy_proto.not_found_disallowed"),
        ("PROXY TCP4 203.0.113.7 198.51.100.2 56324\r\n", "proxy_proto.versions.v1.error"),
        ("\r\n\r\n\u{0}\r\nQUIT\n\u{31}\u{11}\u{0}\u{0}", "proxy_proto.versions.v2.error"),
    ])
    func refused(bytes: String, counter: String) throws {
        let proxy = try EmbeddedProxy(edge: Self.edge)
        try proxy.client(bytes)
        proxy.loop.run()
        #expect(!proxy.downstream.isActive, "closed")
        #expect(try proxy.clientReceived().isEmpty, "nothing answered")
        #expect(proxy.stats.value(counter) == 1)
        #expect(proxy.stats.value("downstream_cx_proxy_proto_error") == 1)
    }

    @Test("a header not whole within 15 s (Envoy's listener filter timeout): closed, downstream_pre_cx_timeout")
    func timeout() throws {
        let proxy = try EmbeddedProxy(edge: Self.edge)
        try proxy.client("PROXY TCP4 203.0.113.7")
        proxy.loop.advanceTime(by: .seconds(14))
        #expect(proxy.downstream.isActive)
        proxy.loop.advanceTime(by: .seconds(1))
        #expect(!proxy.downstream.isActive)
        #expect(proxy.stats.value("downstream_pre_cx_timeout") == 1)
    }
}
