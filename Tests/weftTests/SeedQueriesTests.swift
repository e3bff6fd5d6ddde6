import Foundation
import Testing

/// The seed's three PromQL questions (request rate, 5xx share, p95 latency of one service),
/// answered by a real Prometheus from what the sidecars recorded for a known mix of traffic:
/// 30 plain requests, 10 aborted with 503 by a fault, 10 delayed 300 ms by a fault.
@Suite("the seed's PromQL queries against a real Prometheus", .serialized,
       .enabled(if: BookinfoDemo.corpusPresent, "../shared/istio-corpus is absent: the httpbin and sleep samples come from it"))
struct SeedQueriesTests {
    static let service = "myapp.production.svc.cluster.local"

    @Test("request count and rate, the 5xx share and the p95 in the bucket of the injected delay, for destination_service=\"myapp.production.svc.cluster.local\"")
    func seedQueries() throws {
        guard PrometheusServer.binary != nil else {
            Issue.record("prometheus is not installed (.ci/run installs Debian's package)")
            return
        }
        let setup = try MutualTLSMesh(namespaces: ["production"])
        defer { setup.stop() }
        try setup.apply("""
        apiVersion: v1
        kind: Service
        metadata: {name: myapp, namespace: production}
        spec:
          selector: {app: httpbin}
          ports: [{name: http, port: 8000, targetPort: 8080}]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: myapp, namespace: production}
        spec:
          hosts: [myapp]
          http:
          - match: [{headers: {x-fault: {exact: abort}}}]
            fault: {abort: {httpStatus: 503, percentage: {value: 100}}}
            route: [{destination: {host: myapp}}]
          - match: [{headers: {x-fault: {exact: delay}}}]
            fault: {delay: {fixedDelay: 0.3s, percentage: {value: 100}}}
            route: [{destination: {host: myapp}}]
          - route: [{destination: {host: myapp}}]
        """)
        let sleepPod = try #require(setup.sleep["production"])
        func answer(_ fault: String?) throws -> (Int, String) {
            try setup.mesh.curl(through: sleepPod, "http://myapp.production:8000/status/200", headers: fault.map { ["x-fault: \($0)"] } ?? [])
        }
        func call(_ fault: String?) throws -> Int { try answer(fault).0 }
        // The fault's own answer, not any 503 (an endpoint not yet known is one too).
        try setup.waitUntil("the fault routes are in place") {
            (try? answer("abort")).map { $0.0 == 503 && $0.1 == "fault filter abort" } == true && (try? call(nil)) == 200
        }
        let prometheus = try PrometheusServer(serviceDiscovery: setup.mesh.controlPlane.url)
        defer { prometheus.stop() }
        func value(_ query: String) -> Double? { try? prometheus.query(query).first?.value }
        let total = #"sum(istio_requests_total{reporter="source",destination_service="\#(Self.service)"})"#
        let errors = #"sum(istio_requests_total{reporter="source",destination_service="\#(Self.service)",response_code=~"5.."})"#
        // What was counted before the mix (the readiness calls), once Prometheus has seen it.
        // Both series exist before the mix, so Prometheus's increase() counts all of the mix.
        try setup.waitUntil("Prometheus scrapes the client sidecar", timeout: 30) { value(total) != nil && value(errors) != nil }
        let baseline = (total: value(total) ?? 0, errors: value(errors) ?? 0)

        for _ in 0..<30 { #expect(try call(nil) == 200) }
        for _ in 0..<10 { #expect(try call("abort") == 503) }
        for _ in 0..<10 { #expect(try call("delay") == 200) }
        try setup.waitUntil("Prometheus holds all 50 requests", timeout: 30) { value(total) == baseline.total + 50 && value(errors) == baseline.errors + 10 }

        // 1. Request rate: over a window that holds every request, rate × window is what was added since
        // Prometheus first saw the series (the 50), within its extrapolation to the window's edges.
        let increase = value(#"sum(increase(istio_requests_total{reporter="source",destination_service="\#(Self.service)"}[5m]))"#) ?? 0
        #expect(increase >= 48 && increase <= 60, "increase over 5m: \(increase)")
        // Both sides evaluated at one instant (two queries could straddle a scrape).
        let rateAgainstIncrease = value(#"sum(rate(istio_requests_total{reporter="source",destination_service="\#(Self.service)"}[5m])) * 300 - sum(increase(istio_requests_total{reporter="source",destination_service="\#(Self.service)"}[5m]))"#)
        #expect(rateAgainstIncrease.map { abs($0) < 0.001 } == true, "rate × 300 s is the increase: \(String(describing: rateAgainstIncrease))")
        // 2. The 5xx share: the injected 10 of 50.
        let share = value(#"sum(increase(istio_requests_total{reporter="source",destination_service="\#(Self.service)",response_code=~"5.."}[5m])) / sum(increase(istio_requests_total{reporter="source",destination_service="\#(Self.service)"}[5m]))"#) ?? -1
        #expect(abs(share - 0.2) < 0.05, "5xx share \(share), expected 10 of 50")
        let flagged = (try? prometheus.query(#"sum by (response_flags) (istio_requests_total{reporter="source",destination_service="\#(Self.service)"})"#)) ?? []
        #expect(flagged.first { $0.labels["response_flags"] == "DI" }?.value == 10 && flagged.first { $0.labels["response_flags"] == "FI" }?.value ?? 0 >= 10,
                "the delayed ones are flagged DI, the aborted FI: \(flagged)")
        // 3. p95: 10 of 50 took 300 ms or more, so the 95th percentile is in the (250, 500] ms bucket.
        let p95 = value(#"histogram_quantile(0.95, sum(rate(istio_request_duration_milliseconds_bucket{reporter="source",destination_service="\#(Self.service)"}[5m])) by (le))"#) ?? 0
        #expect(p95 > 250 && p95 <= 500, "p95 \(p95) ms")
    }
}
