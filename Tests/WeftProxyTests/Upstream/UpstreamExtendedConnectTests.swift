import NIOHPACK
import Testing
import WeftModel
@testable import WeftProxy

@Suite("upstream extended CONNECT and DNS endpoints")
struct UpstreamExtendedConnectTests {
    @Test("RFC 6455's own example: the key dGhlIHNhbXBsZSBub25jZQ== is accepted as s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    func accept() {
        #expect(UpstreamExtendedConnect.acceptValue(forKey: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test("the HTTP/1.1 handshake as HTTP/2 headers becomes CONNECT with :protocol among the pseudo-headers, without the key, the upgrade headers or a length")
    func connectRequest() {
        let request: HPACKHeaders = [":method": "GET", ":path": "/echo", ":scheme": "http", ":authority": "chat:80", "sec-websocket-key": "abc",
                                     "sec-websocket-version": "13", "content-length": "0", "x-request-id": "1"]
        let connect = UpstreamExtendedConnect.connectRequest(request, protocolName: "websocket")
        let names = connect.map(\.name)
        #expect(connect.first(name: ":method") == "CONNECT" && connect.first(name: ":protocol") == "websocket")
        #expect(names == [":method", ":path", ":scheme", ":authority", ":protocol", "sec-websocket-version", "x-request-id"], "\(names)")
    }

    @Test("a STRICT_DNS endpoint named by a host stands for each address the resolver last gave; literal addresses and names never asked stay as they are")
    func strictExpansion() throws {
        let dns = ProxyDNS()
        let endpoints = [EndpointGroup.Endpoint(address: "127.0.0.9", port: 80, labels: [:], locality: "", weight: 3, workload: "a"),
                         EndpointGroup.Endpoint(address: "never-asked.invalid", port: 80, labels: [:], locality: "", weight: 1, workload: "b")]
        #expect(StrictDNSEndpoints.expand(endpoints, dns: dns) == endpoints)
        #expect(ProxyDNS.isAddress("10.1.2.3") && ProxyDNS.isAddress("::1") && !ProxyDNS.isAddress("1e100.net") && !ProxyDNS.isAddress("example.com"))
    }
}
