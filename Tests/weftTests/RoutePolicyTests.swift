import Foundation
import Testing

/// VirtualService timeouts and fault injection on the data path, end to end.
@Suite("route policies end to end")
struct RoutePolicyTests {
    /// The reviews Service with one echo replica, a VirtualService whose `http:` list is `routes`, and a
    /// long-lived client sidecar that sees the replica; returns the mesh and the client's pod IP.
    static func reviewsBehind(_ routes: String) throws -> (MeshHarness, String) {
        let mesh = try MeshHarness()
        let virtualService = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews}
        spec:
          hosts: [reviews]
          http:

        """ + routes
        do {
            #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: MeshFixtures.reviewsService + "\n---\n" + virtualService).status == 0)
            try mesh.startEcho(name: "reviews-v1", labels: "app=reviews,version=v1")
            let client = try mesh.startClient()
            try mesh.waitForEndpoints(proxy: "client", count: 1)
            return (mesh, client)
        } catch {
            mesh.stopWorkloads()
            throw error
        }
    }

    @Test("timeout gives 504 UT 'upstream request timeout'; x-envoy-upstream-rq-timeout-ms sets one; fault abort answers FI, fault delay holds the request")
    func timeoutsAndFaults() throws {
        let (mesh, client) = try Self.reviewsBehind("""
          - match: [{uri: {prefix: /slow-route}}]
            timeout: 0.3s
            route: [{destination: {host: reviews}}]
          - match: [{uri: {prefix: /abort}}]
            fault: {abort: {httpStatus: 418, percentage: {value: 100}}}
            route: [{destination: {host: reviews}}]
          - match: [{uri: {prefix: /held}}]
            fault: {delay: {fixedDelay: 0.4s, percentage: {value: 100}}}
            route: [{destination: {host: reviews}}]
          - route: [{destination: {host: reviews}}]
        """)
        defer { mesh.stopWorkloads() }

        // The echo app waits S seconds for a path with /delay/S; the prefix match picks the route.
        var started = Date()
        let timedOut = try mesh.curl(through: client, "http://reviews:9080/slow-route/delay/3")
        let timedOutAfter = Date().timeIntervalSince(started)
        #expect(timedOut.0 == 504 && timedOut.1 == "upstream request timeout", "\(timedOut)")
        #expect(timedOutAfter < 2.5, "answered after \(timedOutAfter) s, not after the app's 3 s")

        let byHeader = try mesh.curl(through: client, "http://reviews:9080/delay/3", headers: ["x-envoy-upstream-rq-timeout-ms: 200"])
        #expect(byHeader.0 == 504, "\(byHeader)")

        let aborted = try mesh.curl(through: client, "http://reviews:9080/abort")
        #expect(aborted.0 == 418 && aborted.1 == "fault filter abort", "\(aborted)")

        started = Date()
        let delayed = try mesh.curl(through: client, "http://reviews:9080/held")
        #expect(delayed.0 == 200 && delayed.1.contains("reviews-v1"), "\(delayed)")
        #expect(Date().timeIntervalSince(started) >= 0.4, "the fault delay holds the request 0.4 s")

        let stats = String(decoding: try Data(contentsOf: URL(string: "http://\(client):15000/stats")!), as: UTF8.self)
        for line in ["cluster.outbound|9080||reviews.default.svc.cluster.local.upstream_rq_timeout: 2", "local_reply_UT: 2", "local_reply_FI: 1", "fault.delays_injected: 1"] {
            #expect(stats.contains(line), "\(line) in \(stats)")
        }
        // The connection the timeout cut is not reused: the next request is answered normally.
        #expect(try mesh.curl(through: client, "http://reviews:9080/").0 == 200)
    }

    @Test("retries: an upstream failing every other request is seen at over 99 % success; retries are counted and carry x-envoy-attempt-count; exhausted retries return the last answer")
    func retries() throws {
        let (mesh, client) = try Self.reviewsBehind("""
          - retries: {attempts: 3, retryOn: 5xx}
            route: [{destination: {host: reviews}}]
        """)
        defer { mesh.stopWorkloads() }

        let flaky = try mesh.client("http://reviews:9080/flaky", count: 200)
        #expect(flaky.names["reviews-v1", default: 0] >= 198, "\(flaky)")
        let retried = try mesh.curl(through: client, "http://reviews:9080/flaky")
        let second = try mesh.curl(through: client, "http://reviews:9080/flaky")
        // One of two consecutive requests met a 503 first and was answered on its second attempt.
        #expect(retried.0 == 200 && second.0 == 200, "\(retried) \(second)")
        #expect((retried.1 + second.1).contains("\"x-envoy-attempt-count\": \"2\""), "\(retried.1) \(second.1)")
        // The retry sends the first attempt's head again: its trace context, request id and peer metadata once each.
        #expect(retried.1.contains("\"repeated\": []") && second.1.contains("\"repeated\": []"), "\(retried.1) \(second.1)")
        #expect((retried.1 + second.1).contains("\"x-b3-traceid\""), "the trace context goes with every attempt: \(retried.1) \(second.1)")

        let retryStat = "cluster.outbound|9080||reviews.default.svc.cluster.local.upstream_rq_retry"
        func retriesCounted() throws -> Int {
            let stats = String(decoding: try Data(contentsOf: URL(string: "http://\(client):15000/stats")!), as: UTF8.self)
            return stats.split(separator: "\n").first { $0.hasPrefix(retryStat + ": ") }.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
        }
        let retriesBefore = try retriesCounted()
        let exhausted = try mesh.curl(through: client, "http://reviews:9080/status/500")
        #expect(exhausted.0 == 500, "after 3 retries the last answer goes back: \(exhausted)")
        // The upstream itself counts what reached it: the first attempt and exactly 3 retries.
        let reached = try mesh.curl(through: client, "http://reviews:9080/__count/status/500")
        #expect(reached.0 == 200 && reached.1.contains("\"count\": 4"), "attempts that reached the upstream: \(reached)")
        #expect(try retriesCounted() - retriesBefore == 3, "the proxy counted the 3 retries")
    }
}
