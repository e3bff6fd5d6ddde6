import Testing
@testable import WeftProxy

/// The proxy's Envoy-style counters: the per-request ones (atomics) read back with the rest.
@Suite("Proxy stats")
struct ProxyStatsTests {
    @Test("requests and status classes counted as atomics show in the stats, the admin page's Prometheus text and single reads, summed with the same name counted the other way")
    func atomicCounters() {
        let stats = ProxyStats()
        #expect(stats.all["downstream_rq_total"] == nil && stats.value("downstream_rq_2xx") == 0)
        for _ in 0..<3 { stats.countRequest() }
        stats.countStatus(200)
        stats.countStatus(204)
        stats.countStatus(404)
        stats.countStatus(503)
        stats.countStatus(999)
        stats.increment("downstream_rq_4xx")
        let all = stats.all
        #expect(all["downstream_rq_total"] == 3 && all["downstream_rq_2xx"] == 2 && all["downstream_rq_4xx"] == 2)
        #expect(all["downstream_rq_5xx"] == 1 && all["downstream_rq_9xx"] == 1 && all["downstream_rq_1xx"] == nil && all["downstream_rq_3xx"] == nil)
        #expect(stats.value("downstream_rq_total") == 3)
        let text = stats.prometheusText()
        #expect(text.contains("envoy_downstream_rq_total 3\n") && text.contains("envoy_downstream_rq_4xx 2\n") && !text.contains("downstream_rq_3xx"))
    }
}
