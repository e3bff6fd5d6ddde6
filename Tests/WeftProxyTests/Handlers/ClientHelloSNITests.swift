import NIOCore
import NIOEmbedded
import NIOSSL
import Testing
import WeftModel
@testable import WeftProxy

/// Reading a ClientHello's server name without terminating TLS (`tls_inspector`'s job).
@Suite("ClientHello server names")
struct ClientHelloSNITests {
    /// The first flight of a real TLS client (BoringSSL through NIOSSL) asking for `serverName`.
    static func clientHello(serverName: String?) throws -> ByteBuffer {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        let context = try NIOSSLContext(configuration: configuration)
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: serverName))
        channel.pipeline.fireChannelActive()
        var hello = ByteBuffer()
        while var part = try channel.readOutbound(as: ByteBuffer.self) { hello.writeBuffer(&part) }
        _ = try? channel.finish()
        return hello
    }

    @Test("a real hello's server name is read; every strict prefix of it waits; without SNI it is a hello without a name")
    func realHello() throws {
        let hello = try Self.clientHello(serverName: "a.example.com")
        #expect(ClientHelloSNI.inspect(hello) == .clientHello(serverName: "a.example.com"))
        for length in stride(from: 0, to: hello.readableBytes, by: 7) {
            #expect(ClientHelloSNI.inspect(hello.getSlice(at: hello.readerIndex, length: length)!) == .incomplete, "\(length) bytes")
        }
        #expect(ClientHelloSNI.inspect(try Self.clientHello(serverName: nil)) == .clientHello(serverName: nil))
    }

    @Test("a hello split across two TLS records is joined; HTTP, SSH banners and other handshakes are not TLS")
    func recordsAndOthers() throws {
        let hello = try Self.clientHello(serverName: "x.b.example.com")
        var body = hello.getSlice(at: hello.readerIndex + 5, length: hello.readableBytes - 5)!
        let half = body.readableBytes / 2
        var split = ByteBuffer()
        for var piece in [body.readSlice(length: half)!, body] {
            split.writeBytes([0x16, 0x03, 0x01])
            split.writeInteger(UInt16(piece.readableBytes))
            split.writeBuffer(&piece)
        }
        #expect(ClientHelloSNI.inspect(split) == .clientHello(serverName: "x.b.example.com"))
        #expect(ClientHelloSNI.inspect(ByteBuffer(string: "GET / HTTP/1.1\r\n")) == .notTLS)
        #expect(ClientHelloSNI.inspect(ByteBuffer(string: "SSH-2.0-OpenSSH_9.2\r\n")) == .notTLS)
        #expect(ClientHelloSNI.inspect(ByteBuffer(bytes: [0x16, 0x03, 0x01, 0x00, 0x04, 0x02, 0x00, 0x00, 0x00])) == .notTLS, "a ServerHello")
        #expect(ClientHelloSNI.inspect(ByteBuffer(bytes: [0x16, 0x03])) == .incomplete)
    }

    @Test("SNI routes: exact names, and a wildcard for any name under it but not the bare domain")
    func routeMatches() {
        let route = SNIRoute(sniHosts: ["a.example.com", "*.b.example.com"], destinations: [])
        #expect(route.matches("a.example.com") && route.matches("x.b.example.com") && route.matches("y.x.b.example.com"))
        #expect(!route.matches("b.example.com") && !route.matches("a.example.org") && !route.matches("xa.example.com"))
        let config = { () -> ListenerConfig in
            var config = ListenerConfig(name: "egress|8443", port: 8443, direction: .egress, protocolName: "TLS")
            config.tcpDestinations = [WeightedCluster(cluster: "default", weight: 100)]
            config.sniRoutes = [SNIRoute(sniHosts: ["a.example.com"], destinations: [WeightedCluster(cluster: "a", weight: 100)])]
            return config
        }()
        #expect(TLSInspector.destinations(serverName: "a.example.com", config: config) == [WeightedCluster(cluster: "a", weight: 100)])
        #expect(TLSInspector.destinations(serverName: nil, config: config) == [WeightedCluster(cluster: "default", weight: 100)])
        #expect(TLSInspector.destinations(serverName: "c.example.com", config: config) == nil)
    }

    @Test("a CONNECT tunnel's hello: a tls route takes its name only when the CONNECT address lies in the route's destinationSubnets; else, or with no name, where the authority routes; nowhere: nil")
    func tunnelRouting() {
        let subnet = SNIRoute(sniHosts: ["a.example.com"], destinations: [WeightedCluster(cluster: "inside", weight: 100)], port: 443, destinationSubnets: ["10.0.0.0/8"])
        let any = SNIRoute(sniHosts: ["a.example.com"], destinations: [WeightedCluster(cluster: "named", weight: 100)], port: 443)
        let authority = [WeightedCluster(cluster: "authority", weight: 100)]
        func routed(_ name: String?, to destination: String, fallback: [WeightedCluster] = authority) -> [WeightedCluster]? {
            TLSInspector.destinations(serverName: name, tunnel: TunnelTLSRouting(routes: [subnet, any], fallback: fallback, destination: destination))
        }
        #expect(routed("a.example.com", to: "10.1.2.3") == [WeightedCluster(cluster: "inside", weight: 100)])
        #expect(routed("a.example.com", to: "192.168.0.1") == [WeightedCluster(cluster: "named", weight: 100)])
        #expect(routed("a.example.com", to: "api.example.com") == [WeightedCluster(cluster: "named", weight: 100)])
        #expect(routed("b.example.com", to: "10.1.2.3") == authority)
        #expect(routed(nil, to: "10.1.2.3") == authority)
        #expect(routed("b.example.com", to: "10.1.2.3", fallback: []) == nil)
    }
}
