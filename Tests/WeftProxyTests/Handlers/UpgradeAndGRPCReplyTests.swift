import NIOHTTP1
import Testing
import WeftModel
@testable import WeftProxy

/// Two small decisions of the HTTP path: which upgrades are proxied, and how a local answer reads to a gRPC caller.
@Suite("Upgrades and gRPC local replies")
struct UpgradeAndGRPCReplyTests {
    static func head(_ headers: [(String, String)], method: HTTPMethod = .GET) -> ProxyRequestHead {
        ProxyRequestHead(version: .http1_1, method: method, uri: "/", headers: HeaderFields(headers))
    }

    @Test("an upgrade needs both Connection: upgrade and Upgrade; websocket is proxied, h2c dropped, anything else refused")
    func upgradeKinds() {
        #expect(HTTPUpgrade.of(Self.head([("Connection", "Upgrade"), ("Upgrade", "websocket")])) == .websocket("websocket"))
        #expect(HTTPUpgrade.of(Self.head([("Connection", "keep-alive, Upgrade"), ("Upgrade", "WebSocket")])) == .websocket("WebSocket"))
        #expect(HTTPUpgrade.of(Self.head([("Connection", "Upgrade, HTTP2-Settings"), ("Upgrade", "h2c"), ("HTTP2-Settings", "AAMAAABkAAQAoAAAAAIAAAAA")])) == .h2c)
        #expect(HTTPUpgrade.of(Self.head([("Connection", "Upgrade"), ("Upgrade", "foo/2")])) == .refused)
        #expect(HTTPUpgrade.of(Self.head([("Upgrade", "websocket")])) == nil)
        #expect(HTTPUpgrade.of(Self.head([("Connection", "Upgrade")])) == nil)
        #expect(HTTPUpgrade.of(Self.head([("Connection", "Upgrade"), ("Upgrade", "websocket")], method: .CONNECT)) == nil)
    }

    @Test("HTTP statuses map to gRPC's as gRPC documents and Envoy applies", arguments: [
        (400, 13), (401, 16), (403, 7), (404, 12), (429, 14), (502, 14), (503, 14), (504, 14), (500, 2), (431, 2),
    ])
    func statusMapping(http: Int, grpc: Int) {
        #expect(GRPCLocalReply.status(forHTTP: http) == grpc)
    }

    @Test("grpc-message is percent-encoded; a gRPC call is told by its content type")
    func messageAndDetection() {
        #expect(GRPCLocalReply.percentEncoded("no healthy upstream") == "no healthy upstream")
        #expect(GRPCLocalReply.percentEncoded("100% down\nnow é") == "100%25 down%0Anow %C3%A9")
        let reply = GRPCLocalReply(LocalResponse(status: 503, flag: "UH", body: "no healthy upstream"))
        #expect(reply.fields["grpc-status"] == ["14"] && reply.fields["grpc-message"] == ["no healthy upstream"])
        #expect(GRPCLocalReply.isGRPC(Self.head([("content-type", "application/grpc")])))
        #expect(GRPCLocalReply.isGRPC(Self.head([("content-type", "application/grpc+proto")])))
        #expect(!GRPCLocalReply.isGRPC(Self.head([("content-type", "application/json")])))
        #expect(!GRPCLocalReply.isGRPC(Self.head([])))
    }

    @Test("grpc-timeout values as gRPC writes them, rounded up to milliseconds; malformed ones are none", arguments: [
        ("200m", 200), ("1S", 1000), ("2M", 120_000), ("1H", 3_600_000), ("1500u", 2), ("1n", 1), ("0m", 1),
    ])
    func grpcTimeout(value: String, milliseconds: Int) {
        #expect(GRPCLocalReply.timeoutMilliseconds(value) == milliseconds)
    }

    @Test("grpc-timeout that is not digits and one unit")
    func malformedGRPCTimeout() {
        for value in ["", "m", "10", "10x", "-5m", "123456789m", "1.5S"] { #expect(GRPCLocalReply.timeoutMilliseconds(value) == nil, "\(value)") }
        #expect(GRPCLocalReply(LocalResponse(status: 408, flag: "DT", grpcStatus: 4)).status == 4)
    }
}
