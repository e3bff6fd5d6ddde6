import Testing
import WeftModel
@testable import WeftProxy

/// The circuit breaker alone: counts per cluster against a connectionPool's limits.
@Suite("circuit breaker")
struct CircuitBreakerTests {
    @Test("each resource is held against its own limit, per cluster; a release frees one")
    func limits() {
        var breaker = CircuitBreaker()
        let policy = ConnectionPoolPolicy(maxConnections: 2, maxPendingRequests: 1, maxRequests: 3, maxRetries: 1)
        var taken: [Bool] = []
        for _ in 0..<3 { taken.append(breaker.take(.connections, cluster: "a", policy: policy)) }
        #expect(taken == [true, true, false], "maxConnections 2")
        let otherCluster = breaker.take(.connections, cluster: "b", policy: policy)
        #expect(otherCluster, "another cluster has its own count")
        let pending = [breaker.take(.pending, cluster: "a", policy: policy), breaker.take(.pending, cluster: "a", policy: policy)]
        #expect(pending == [true, false], "maxPendingRequests 1")
        let retries = [breaker.take(.retries, cluster: "a", policy: policy), breaker.take(.retries, cluster: "a", policy: policy)]
        #expect(retries == [true, false], "maxRetries 1")
        breaker.release(.connections, cluster: "a")
        #expect(breaker.count(.connections, cluster: "a") == 1)
        let again = breaker.take(.connections, cluster: "a", policy: policy)
        #expect(again, "a released connection frees its slot")
        #expect(breaker.count(.requests, cluster: "a") == 0, "untouched resources stay at zero")
    }

    @Test("no limit allows everything, still counted; a count never goes below zero")
    func unlimited() {
        var breaker = CircuitBreaker()
        for _ in 0..<1000 { _ = breaker.take(.requests, cluster: "a", policy: .unlimited) }
        #expect(breaker.count(.requests, cluster: "a") == 1000)
        breaker.release(.retries, cluster: "a")
        breaker.release(.retries, cluster: "unknown")
        #expect(breaker.count(.retries, cluster: "a") == 0 && breaker.count(.retries, cluster: "unknown") == 0)
    }

    @Test("a limit of zero refuses the first request, as Envoy's breaker does")
    func zeroLimit() {
        var breaker = CircuitBreaker()
        let refused = breaker.take(.pending, cluster: "a", policy: ConnectionPoolPolicy(maxPendingRequests: 0))
        #expect(!refused)
    }
}
