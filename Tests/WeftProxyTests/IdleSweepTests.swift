import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing
import WeftModel
@testable import WeftProxy

/// The pool's idle sweep against a real listener on loopback: an idle upstream connection closes
/// after its cluster's `idleTimeout`, or Envoy's default (1 hour) where none is set, shortened here.
@Suite("upstream idle sweep")
struct IdleSweepTests {
    /// A loopback listener that keeps what it accepts open and counts opens and closes.
    final class Listener: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let counts = NIOLockedValueBox((opened: 0, closed: 0))
        /// When each connection closed.
        let closes = NIOLockedValueBox([ContinuousClock.Instant]())
        func channelActive(context: ChannelHandlerContext) { counts.withLockedValue { $0.opened += 1 } }
        func channelInactive(context: ChannelHandlerContext) {
            closes.withLockedValue { $0.append(.now) }
            counts.withLockedValue { $0.closed += 1 }
        }
    }

    /// Waits, polling every 20 ms up to 10 s, for `condition`.
    static func wait(_ what: String, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw CancellationError() }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    @Test("no idleTimeout: closed after the default, not before (counted upstream_cx_idle_timeout); idleTimeout set: after it, the default being far off; a connection taken again before either stays open")
    func idleConnectionsClose() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let listener = Listener()
        let server = try await ServerBootstrap(group: group)
            .childChannelInitializer { $0.pipeline.addHandler(listener) }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(server.localAddress?.port)
        let loop = group.next()
        let stats = ProxyStats()

        // The default shortened to 200 ms, swept each 50 ms.
        let pool = NIOLoopBoundBox.makeBoxSendingValue(UpstreamConnectionPool(eventLoop: loop, stats: stats, idleSweep: IdleSweepClock(interval: .milliseconds(50),
                                                                                                                               defaultTimeout: .milliseconds(200))),
                                                       as: UpstreamConnectionPool.self, eventLoop: loop)
        let first = try await loop.flatSubmit { pool.value.acquire(host: "127.0.0.1", port: port, cluster: "a", connectTimeout: .seconds(2)) }.get()
        let reused = try await loop.submit {
            pool.value.release(first.value)
            return pool.value.takeIdle(host: "127.0.0.1", port: port, cluster: "a") === first.value
        }.get()
        #expect(reused, "taken again at once, the same connection")
        // Idle again after a sweep was scheduled (by the first release): counted from that sweep, not before.
        let released = ContinuousClock.now
        try await loop.submit { pool.value.release(first.value) }.get()
        try await Self.wait("the idle connection's close") { listener.counts.withLockedValue { $0.closed } == 1 }
        let closedAfter = try #require(listener.closes.withLockedValue { $0.first }) - released
        #expect(closedAfter >= .milliseconds(200), "closed \(closedAfter) after going idle, before its 200 ms")
        #expect(stats.value(cluster: "a", "upstream_cx_idle_timeout") == 1)
        #expect(listener.counts.withLockedValue { $0.opened } == 1)
        let emptied = try await loop.submit { pool.value.idle.values.allSatisfy { $0.connections.isEmpty } && !pool.value.idleSweep.armed }.get()
        #expect(emptied, "out of the idle list, and no sweep runs with nothing idle")

        // The cluster's idleTimeout (150 ms) with the default an hour away.
        let hourly = NIOLoopBoundBox.makeBoxSendingValue(UpstreamConnectionPool(eventLoop: loop, stats: stats, idleSweep: IdleSweepClock(interval: .milliseconds(50))),
                                                         as: UpstreamConnectionPool.self, eventLoop: loop)
        let second = try await loop.flatSubmit {
            hourly.value.acquire(host: "127.0.0.1", port: port, cluster: "b", policy: ConnectionPoolPolicy(idleTimeoutMs: 150), connectTimeout: .seconds(2))
        }.get()
        let releasedSecond = ContinuousClock.now
        try await loop.submit { hourly.value.release(second.value) }.get()
        try await Self.wait("the second idle connection's close") { listener.counts.withLockedValue { $0.closed } == 2 }
        let secondAfter = try #require(listener.closes.withLockedValue { $0.last }) - releasedSecond
        #expect(secondAfter >= .milliseconds(150), "closed \(secondAfter) after going idle, before its 150 ms")
        #expect(stats.value(cluster: "b", "upstream_cx_idle_timeout") == 1)

        try await server.close()
        try await group.shutdownGracefully()
    }

    @Test("the clock: never early (a connection gone idle mid-interval counts from the interval's end), at most one interval late; the interval a quarter of the shortest timeout, within 10 ms and the longest")
    func clock() {
        var clock = IdleSweepClock(interval: .seconds(1), defaultTimeout: .seconds(3))
        // Idle with no sweep scheduled: counted from now, the first sweep a whole interval away.
        let first = clock.stamp
        clock.schedule(1_000_000_000)
        // Idle while that sweep is scheduled: counted from its end.
        let second = clock.stamp
        #expect(first == 0 && second == 1_000_000_000)
        clock.advance()
        clock.schedule(1_000_000_000)
        clock.advance()
        #expect(!clock.expired(since: first, timeoutMs: nil), "2 s of a 3 s default")
        #expect(clock.expired(since: first, timeoutMs: 2000))
        #expect(!clock.expired(since: second, timeoutMs: 2000), "went idle during the first second: not yet 2 s")
        clock.schedule(1_000_000_000)
        clock.advance()
        #expect(clock.expired(since: first, timeoutMs: nil) && clock.expired(since: second, timeoutMs: 2000))
        #expect(!clock.expired(since: first, timeoutMs: 60_000))
        #expect(clock.expired(since: first, timeoutMs: 0), "0 is unset: the default")
        #expect(clock.interval(forShortest: clock.timeout(nil)) == 750_000_000, "a quarter of the 3 s default")
        #expect(clock.interval(forShortest: clock.timeout(60_000)) == 1_000_000_000, "no longer than the longest")
        #expect(clock.interval(forShortest: clock.timeout(200)) == 50_000_000)
        #expect(clock.interval(forShortest: clock.timeout(1)) == IdleSweepClock.shortestInterval)
    }
}
