import NIOCore
import NIOPosix
import Testing
import WeftModel
@testable import WeftProxy

/// The pools of a proxy's loops share one breaker: Envoy's limits are per cluster across workers,
/// with one connection per worker allowed whatever the limit.
@Suite("shared circuit breaker")
struct SharedCircuitBreakerTests {
    @Test("maxConnections holds over two loops' pools; each loop may still open its first connection")
    func twoLoops() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let breaker = SharedCircuitBreaker()
        let loops = LoopLocal<Int>.loops(of: group)
        #expect(loops.count == 2)
        let policy = ConnectionPoolPolicy(maxConnections: 2)
        // Each pool is its loop's, reached from its loop.
        let first = NIOLoopBoundBox.makeBoxSendingValue(UpstreamConnectionPool(eventLoop: loops[0], breaker: breaker), as: UpstreamConnectionPool.self, eventLoop: loops[0])
        let second = NIOLoopBoundBox.makeBoxSendingValue(UpstreamConnectionPool(eventLoop: loops[1], breaker: breaker), as: UpstreamConnectionPool.self, eventLoop: loops[1])
        let takenFirst = try await loops[0].submit { [first.value.takeConnectionSlot(cluster: "a", policy: policy), first.value.takeConnectionSlot(cluster: "a", policy: policy),
                                                      first.value.takeConnectionSlot(cluster: "a", policy: policy)] }.get()
        #expect(takenFirst == [true, true, false], "the first loop takes the cluster's two")
        let takenSecond = try await loops[1].submit { [second.value.takeConnectionSlot(cluster: "a", policy: policy), second.value.takeConnectionSlot(cluster: "a", policy: policy)] }.get()
        #expect(takenSecond == [true, false], "the second loop gets its first connection past the limit, no more")
        #expect(breaker.count(.connections, cluster: "a") == 3, "the limit plus one per loop, Envoy's bound")
        try await loops[0].submit { first.value.releaseConnectionSlot(cluster: "a"); first.value.releaseConnectionSlot(cluster: "a") }.get()
        let again = try await loops[1].submit { second.value.takeConnectionSlot(cluster: "a", policy: policy) }.get()
        #expect(again, "slots freed on one loop serve the other")
        #expect(breaker.count(.connections, cluster: "a") == 2)
        let requests = [breaker.take(.requests, cluster: "a", policy: ConnectionPoolPolicy(maxRequests: 1)),
                        breaker.take(.requests, cluster: "a", policy: ConnectionPoolPolicy(maxRequests: 1))]
        #expect(requests == [true, false], "requests are limited over every loop, with no per-loop allowance")
        try await group.shutdownGracefully()
    }

    @Test("a limit of zero is never passed, not even by a loop's first connection")
    func zero() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let pool = NIOLoopBoundBox.makeBoxSendingValue(UpstreamConnectionPool(eventLoop: loop, breaker: SharedCircuitBreaker()), as: UpstreamConnectionPool.self, eventLoop: loop)
        let taken = try await loop.submit { pool.value.takeConnectionSlot(cluster: "a", policy: ConnectionPoolPolicy(maxConnections: 0)) }.get()
        #expect(!taken)
        try await group.shutdownGracefully()
    }
}
