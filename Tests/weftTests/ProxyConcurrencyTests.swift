import Foundation
import NIOCore
import Testing

/// reviews with `proxy.istio.io/config: concurrency: 3` on its pod template; a ProxyConfig that
/// gives the `client` workload one loop; every other workload gets Istio's default, two.
private let concurrencyManifests = MeshFixtures.reviewsService + "\n---\n" + """
apiVersion: apps/v1
kind: Deployment
metadata: {name: reviews-v1}
spec:
  selector:
    matchLabels: {app: reviews, version: v1}
  template:
    metadata:
      labels: {app: reviews, version: v1}
      annotations:
        proxy.istio.io/config: |
          concurrency: 3
    spec:
      containers:
      - name: reviews
        image: docker.io/istio/examples-bookinfo-reviews-v1:1.20.3
        ports: [{containerPort: 9080}]
---
apiVersion: networking.istio.io/v1beta1
kind: ProxyConfig
metadata: {name: one-loop-client}
spec:
  selector: {matchLabels: {app: client}}
  concurrency: 1
---
apiVersion: networking.istio.io/v1beta1
kind: ProxyConfig
metadata: {name: per-core}
spec:
  selector: {matchLabels: {app: percore}}
  concurrency: 0
"""

/// Istio's `concurrency`: a proxy runs that many event loops, its connections spread over them
/// (Envoy's `worker_N` listener stats say where each went), while its metrics and limits stay one
/// proxy's.
@Suite("proxy concurrency", .serialized)
struct ProxyConcurrencyTests {
    /// The proxy's `/stats` as name → value.
    static func stats(_ podIP: String) throws -> [String: Int] {
        let text = String(decoding: try Data(contentsOf: URL(string: "http://\(podIP):15000/stats")!), as: UTF8.self)
        var values: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.lastIndex(of: ":"), let value = Int(line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)) else { continue }
            values[String(line[..<colon])] = value
        }
        return values
    }

    /// Each worker's accepted connections on `listener`, worker 0 first.
    static func workers(_ stats: [String: Int], listener: String) -> [Int] {
        var counts: [Int] = []
        while let count = stats["listener.\(listener).worker_\(counts.count).downstream_cx_total"] { counts.append(count) }
        return counts
    }

    /// The sum of `istio_requests_total` samples on the proxy's Prometheus endpoint.
    static func requestsTotal(_ podIP: String) throws -> Int {
        let text = String(decoding: try Data(contentsOf: URL(string: "http://\(podIP):15020/stats/prometheus")!), as: UTF8.self)
        return text.split(separator: "\n").filter { $0.hasPrefix("istio_requests_total{") }.compactMap { Int($0.split(separator: " ").last ?? "") }.reduce(0, +)
    }

    @Test("the pod annotation, a selecting ProxyConfig (1, and 0: one per core) and Istio's default each set a sidecar's loops; connections spread over them round robin; Istio's metrics add up over the loops")
    func loops() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: concurrencyManifests).status == 0)
        let reviews = Process()
        reviews.executableURL = WeftProcess.executable
        reviews.arguments = ["run", "--deployment", "reviews-v1", "--", "python3", MeshHarness.fixtures.appendingPathComponent("echo_app.py").path]
        reviews.environment = ProcessInfo.processInfo.environment.merging(mesh.environment) { _, new in new }.merging(["APP_NAME": "reviews-v1"]) { _, new in new }
        try mesh.captureOutput(of: reviews, name: "reviews-v1")
        try reviews.run()
        mesh.adopt(reviews)
        let single = try mesh.startClient(name: "client")
        let double = try mesh.startClient(name: "other")
        let perCore = try mesh.startClient(name: "percore")
        try mesh.waitForEndpoints(proxy: "client", count: 1)
        try mesh.waitForEndpoints(proxy: "other", count: 1)
        let reviewsPod = try #require(try mesh.controlPlane.proxies().first { $0.id.hasPrefix("reviews-v1-") }?.podIP)

        // Each curl is a new connection to the sidecar's outbound port.
        for _ in 0..<6 {
            #expect(try mesh.curl(through: single, "http://reviews:9080/").0 == 200, "\(mesh.workloadOutput())")
            #expect(try mesh.curl(through: double, "http://reviews:9080/").0 == 200)
        }
        #expect(Self.workers(try Self.stats(single), listener: "outbound") == [6], "ProxyConfig concurrency 1: one loop took every connection")
        let spread = Self.workers(try Self.stats(double), listener: "outbound")
        #expect(spread.count == 2 && spread.allSatisfy { $0 == 3 }, "Istio's default, two loops, in turn: \(spread)")
        #expect(try Self.requestsTotal(double) == 6, "the exposition adds the loops' metrics up")
        // The proxy's count of cores (NIO's, which also reads a cgroup's CPU quota).
        let cores = System.coreCount
        for _ in 0..<(2 * cores) { #expect(try mesh.curl(through: perCore, "http://reviews:9080/").0 == 200) }
        let perCoreSpread = Self.workers(try Self.stats(perCore), listener: "outbound")
        #expect(perCoreSpread.count == cores && perCoreSpread.allSatisfy { $0 == 2 }, "concurrency 0, one loop per core (\(cores)): \(perCoreSpread)")

        // Plaintext straight to reviews' inbound port (PERMISSIVE): three loops from the annotation.
        for _ in 0..<6 {
            let status = try WeftProcess.runTool("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-m", "10", "http://\(reviewsPod):9080/"])
            #expect(status == "200")
        }
        let inbound = Self.workers(try Self.stats(reviewsPod), listener: "inbound|9080")
        #expect(inbound.count == 3 && inbound.allSatisfy { $0 >= 2 }, "proxy.istio.io/config concurrency 3: \(inbound)")
    }
}
