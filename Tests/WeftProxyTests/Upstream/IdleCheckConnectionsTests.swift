import NIOCore
import NIOEmbedded
import Testing
@testable import WeftProxy

/// The external authorizers' kept-alive connections: taken newest first, only while open, a few a
/// target, gone from the list once closed.
@Suite("idle check connections")
struct IdleCheckConnectionsTests {
    static let target = UpstreamTransport.plaintext.poolKey(host: "127.0.0.9", port: 8000, cluster: "outbound|8000||ext-authz.default.svc.cluster.local")

    static func connected(_ loop: EmbeddedEventLoop) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel(loop: loop)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.9", port: 8000)).wait()
        return channel
    }

    @Test("release keeps an open connection; take gives the newest, skips closed ones, and is empty after; a closed idle connection leaves the list; past the limit release closes")
    func keptAndTaken() throws {
        let loop = EmbeddedEventLoop()
        let kept = IdleCheckConnections()
        let first = try Self.connected(loop), second = try Self.connected(loop)
        kept.adopt(first, target: Self.target)
        kept.adopt(second, target: Self.target)
        kept.release(first, target: Self.target)
        kept.release(second, target: Self.target)
        #expect(kept.take(Self.target) === second)
        #expect(kept.take(Self.target) === first)
        #expect(kept.take(Self.target) == nil)

        kept.release(first, target: Self.target)
        _ = try first.finish()
        loop.run()
        #expect(kept.take(Self.target) == nil, "a connection that closed while idle is not handed out")

        var extra: [EmbeddedChannel] = []
        for _ in 0...IdleCheckConnections.maximumPerTarget {
            let channel = try Self.connected(loop)
            kept.adopt(channel, target: Self.target)
            kept.release(channel, target: Self.target)
            extra.append(channel)
        }
        #expect(!(extra.last?.isActive ?? true), "one past the limit is closed, not kept")
        #expect(extra.dropLast().allSatisfy { $0.isActive })
    }
}
