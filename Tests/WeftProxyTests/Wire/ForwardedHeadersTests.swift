import NIOHTTP1
import Testing
import WeftModel
@testable import WeftProxy

/// The edits a forwarded request's fields get, found in one pass over them: what stops at this
/// hop, what is kept, what is added, also when `Connection` names fields or the same field repeats.
@Suite("Forwarded request fields")
struct ForwardedHeadersTests {
    static func forwarded(_ lines: String, clientAddress: String? = nil, certificate: ForwardedClientCert = .keep) throws -> String {
        let fields = try #require(HeaderFields(validating: Array(lines.utf8)))
        let head = ForwardedHeaders.request(ProxyRequestHead(method: .GET, uri: "/", headers: fields), clientAddress: clientAddress, scheme: "http",
                                            edits: nil, clientCertificate: certificate, requestID: (0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210))
        var bytes: [UInt8] = []
        head.headers.withLineRuns { bytes.append(contentsOf: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    static let madeID = "x-request-id: 01234567-89ab-4def-bedc-ba9876543210\r\n"

    @Test("hop-by-hop fields stop here, te: trailers goes on, the id and the scheme are kept or added, the client's address appended (to every X-Forwarded-For field's list, joined in order)")
    func edits() throws {
        #expect(try Self.forwarded("Host: a\r\n") == "Host: a\r\n" + Self.madeID + "x-forwarded-proto: http\r\n")
        #expect(try Self.forwarded("Host: a\r\nConnection: Keep-Alive\r\nKeep-Alive: 5\r\nTE: trailers, deflate\r\nUpgrade: h2c\r\nX-Request-Id: r1\r\nX-Forwarded-Proto: https\r\n")
            == "Host: a\r\nX-Request-Id: r1\r\nX-Forwarded-Proto: https\r\nte: trailers\r\n")
        #expect(try Self.forwarded("Host: a\r\nTE: deflate\r\nProxy-Authorization: x\r\n") == "Host: a\r\n" + Self.madeID + "x-forwarded-proto: http\r\n")
        #expect(try Self.forwarded("X-Forwarded-For: 10.0.0.1\r\nx-forwarded-for: 10.0.0.2\r\n", clientAddress: "10.0.0.9")
            == Self.madeID + "x-forwarded-proto: http\r\nx-forwarded-for: 10.0.0.1, 10.0.0.2, 10.0.0.9\r\n")
        #expect(try Self.forwarded("Host: a\r\n", clientAddress: "10.0.0.9") == "Host: a\r\n" + Self.madeID + "x-forwarded-proto: http\r\nx-forwarded-for: 10.0.0.9\r\n")
    }

    @Test("Connection's listed fields stop here too, whatever they are (the request id it lists is made anew); close and keep-alive list none")
    func connectionListed() throws {
        #expect(try Self.forwarded("Host: a\r\nConnection: X-Request-Id, X-Secret\r\nX-Request-Id: r1\r\nx-secret: s\r\nX-Other: o\r\n")
            == "Host: a\r\nX-Other: o\r\n" + Self.madeID + "x-forwarded-proto: http\r\n")
        #expect(try Self.forwarded("Connection: CLOSE, keep-alive\r\nX-Request-Id: r1\r\n") == "X-Request-Id: r1\r\nx-forwarded-proto: http\r\n")
        #expect(try Self.forwarded("Connection: te\r\nTE: trailers\r\nX-Request-Id: r1\r\n") == "X-Request-Id: r1\r\nx-forwarded-proto: http\r\n")
        // TE listed after another name, or TE before the Connection that lists it: the same.
        #expect(try Self.forwarded("TE: trailers\r\nConnection: x-a, TE\r\nX-A: 1\r\nX-Request-Id: r1\r\n") == "X-Request-Id: r1\r\nx-forwarded-proto: http\r\n")
        // Another name listed: it goes, TE: trailers goes on.
        #expect(try Self.forwarded("TE: trailers\r\nConnection: X-A\r\nX-A: 1\r\nX-Request-Id: r1\r\n")
            == "X-Request-Id: r1\r\nte: trailers\r\nx-forwarded-proto: http\r\n")
    }

    @Test("X-Forwarded-Client-Cert: kept, removed (sanitize), or replaced with the proved peer's (set), once")
    func clientCertificate() throws {
        let lines = "X-Forwarded-Client-Cert: By=spiffe://forged\r\nX-Request-Id: r1\r\n"
        #expect(try Self.forwarded(lines) == lines + "x-forwarded-proto: http\r\n")
        #expect(try Self.forwarded(lines, certificate: .sanitize) == "X-Request-Id: r1\r\nx-forwarded-proto: http\r\n")
        #expect(try Self.forwarded(lines, certificate: .set("By=spiffe://real")) == "X-Request-Id: r1\r\nx-forwarded-proto: http\r\nx-forwarded-client-cert: By=spiffe://real\r\n")
        #expect(try Self.forwarded("X-Request-Id: r1\r\n", certificate: .set("By=spiffe://real")) == "X-Request-Id: r1\r\nx-forwarded-proto: http\r\nx-forwarded-client-cert: By=spiffe://real\r\n")
    }

    @Test("an answer's own Connection: close when the connection closes, keep-alive for an HTTP/1.0 client's that stays open, none for HTTP/1.1's (its default, as Envoy leaves it)")
    func answerConnection() {
        #expect(ForwardedHeaders.connection(keepAlive: false, version: .http1_1) == "close")
        #expect(ForwardedHeaders.connection(keepAlive: false, version: .http1_0) == "close")
        #expect(ForwardedHeaders.connection(keepAlive: true, version: .http1_0) == "keep-alive")
        #expect(ForwardedHeaders.connection(keepAlive: true, version: .http1_1) == nil)
    }
}

/// A gateway's edge handling (ProxyConfig `gatewayTopology`): the trusted client address it sets as
/// `X-Envoy-External-Address`, and what each `forwardClientCertDetails` does to `X-Forwarded-Client-Cert`.
@Suite("Gateway edge fields")
struct GatewayEdgeFieldsTests {
    static func forwarded(_ lines: String, external: String? = nil, certificate: ForwardedClientCert = .keep) throws -> String {
        let fields = try #require(HeaderFields(validating: Array(lines.utf8)))
        let head = ForwardedHeaders.request(ProxyRequestHead(method: .GET, uri: "/", headers: fields), clientAddress: "127.0.0.1", scheme: "http",
                                            edits: nil, clientCertificate: certificate, requestID: nil, externalAddress: external)
        var bytes: [UInt8] = []
        head.headers.withLineRuns { bytes.append(contentsOf: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test("the trusted client address is set as X-Envoy-External-Address, a client's own value replaced; X-Forwarded-For gets the peer appended")
    func externalAddress() throws {
        let out = try Self.forwarded("X-Request-Id: r\r\nX-Forwarded-For: 56.5.6.7, 72.9.5.6, 98.1.2.3\r\nX-Envoy-External-Address: 1.1.1.1\r\n", external: "72.9.5.6")
        #expect(out == "X-Request-Id: r\r\nx-forwarded-proto: http\r\nx-forwarded-for: 56.5.6.7, 72.9.5.6, 98.1.2.3, 127.0.0.1\r\nx-envoy-external-address: 72.9.5.6\r\n")
        #expect(try Self.forwarded("X-Request-Id: r\r\n", external: "127.0.0.1") == "X-Request-Id: r\r\nx-forwarded-proto: http\r\nx-forwarded-for: 127.0.0.1\r\nx-envoy-external-address: 127.0.0.1\r\n")
    }

    @Test("forwardClientCertDetails as Envoy applies it: without a client certificate only ALWAYS_FORWARD_ONLY keeps the header; with one, SANITIZE removes it, FORWARD_ONLY keeps it, APPEND_FORWARD appends, SANITIZE_SET replaces")
    func clientCertificateModes() throws {
        let mine = "Hash=ab;URI=spiffe://cluster.local/ns/foo/sa/sleep"
        let expectations: [(GatewayEdge.ClientCertificate, ForwardedClientCert, ForwardedClientCert)] = [
            (.sanitize, .sanitize, .sanitize), (.forwardOnly, .sanitize, .keep), (.appendForward, .sanitize, .append(mine)),
            (.sanitizeSet, .sanitize, .set(mine)), (.alwaysForwardOnly, .keep, .keep),
        ]
        for (mode, without, with) in expectations {
            let edge = GatewayEdge(trustedProxies: 0, clientCertificate: mode)
            #expect(edge.forwardedClientCert(details: nil) == without, "\(mode) without a client certificate")
            #expect(edge.forwardedClientCert(details: mine) == with, "\(mode) with one")
        }
        let forged = "X-Request-Id: r\r\nX-Forwarded-Client-Cert: By=spiffe://forged;URI=spiffe://cluster.local/ns/x/sa/admin\r\n"
        #expect(try Self.forwarded(forged, certificate: .sanitize) == "X-Request-Id: r\r\nx-forwarded-proto: http\r\nx-forwarded-for: 127.0.0.1\r\n")
        #expect(try Self.forwarded(forged, certificate: .append(mine))
            == "X-Request-Id: r\r\nx-forwarded-proto: http\r\nx-forwarded-for: 127.0.0.1\r\nx-forwarded-client-cert: By=spiffe://forged;URI=spiffe://cluster.local/ns/x/sa/admin,\(mine)\r\n")
        #expect(try Self.forwarded("X-Request-Id: r\r\n", certificate: .append(mine))
            == "X-Request-Id: r\r\nx-forwarded-proto: http\r\nx-forwarded-for: 127.0.0.1\r\nx-forwarded-client-cert: \(mine)\r\n")
        #expect(GatewayEdge(numTrustedProxies: nil, forwardClientCertDetails: "UNDEFINED") == GatewayEdge(trustedProxies: 0, clientCertificate: .sanitizeSet))
        #expect(GatewayEdge(numTrustedProxies: 2, forwardClientCertDetails: "APPEND_FORWARD") == GatewayEdge(trustedProxies: 2, clientCertificate: .appendForward))
    }
}
