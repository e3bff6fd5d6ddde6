import Foundation
import Testing

/// istio.io's circuit-breaking task with its own YAML and the real httpbin (PyPI, under gunicorn):
/// one connection and one pending request allowed, so concurrent callers meet 503 UO, counted.
@Suite("circuit breaking with the real httpbin", .serialized,
       .enabled(if: BookinfoDemo.corpusPresent && PyPIUpstreams.httpbinInstalled, "needs ../shared/istio-corpus and httpbin + gunicorn from PyPI (.ci/run installs them)"))
struct CircuitBreakingTests {
    @Test("5 circuit breaking: one caller gets 200s; concurrent callers overflow the pending queue and get 503 UO, counted as upstream_rq_pending_overflow")
    func circuitBreaking() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        let corpus = BookinfoDemo.corpus
        #expect(try mesh.controlPlane.weft(["apply", "-f", corpus.appendingPathComponent("samples/httpbin/httpbin.yaml").path]).status == 0)
        #expect(try mesh.controlPlane.weft(["apply", "-f", corpus.appendingPathComponent("docs-tasks/circuit-breaking/destination-rule-httpbin.yaml").path]).status == 0)
        let server = Process()
        server.executableURL = WeftProcess.executable
        // gunicorn 27 opens a control socket under $HOME: a home of its own keeps concurrent tests' instances apart.
        server.arguments = ["run", "--deployment", "httpbin", "--", "sh", "-c", #"HOME=$(mktemp -d) exec gunicorn -w 2 -b "$WEFT_APP_ADDRESS:8080" httpbin:app"#]
        server.environment = ProcessInfo.processInfo.environment.merging(mesh.environment) { _, new in new }
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        mesh.adopt(server)
        _ = try mesh.startClient(name: "fortio")
        try mesh.waitForEndpoints(proxy: "fortio", cluster: "outbound|8000||httpbin.default.svc.cluster.local", count: 1, timeout: 30)

        func load(concurrency: Int, count: Int) throws -> (statuses: [String: Int], stats: [String]) {
            let result = try WeftProcess.run(["run", "--labels", "app=fortio", "--name", "fortio-load", "--", "python3",
                                              MeshHarness.fixtures.appendingPathComponent("concurrent_client.py").path,
                                              "http://httpbin:8000/get", String(concurrency), String(count), "httpbin.default.svc.cluster.local.upstream_rq_pending_overflow"],
                                             environment: mesh.environment)
            guard let line = result.stdout.split(separator: "\n").last,
                  let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw ControlPlaneProcess.StartFailure(description: "load client: \(result.status) \(result.stdout) \(result.stderr)")
            }
            return (object["statuses"] as? [String: Int] ?? [:], object["stats"] as? [String] ?? [])
        }
        let single = try load(concurrency: 1, count: 10)
        #expect(single.statuses == ["200": 10], "one caller never overflows: \(single)")
        let crowd = try load(concurrency: 4, count: 40)
        #expect(crowd.statuses["200", default: 0] > 0 && crowd.statuses["503", default: 0] > 0, "some pass, some overflow: \(crowd)")
        #expect(crowd.statuses.keys.allSatisfy { ["200", "503"].contains($0) }, "\(crowd)")
        let overflowed = crowd.stats.first.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
        #expect(overflowed == crowd.statuses["503", default: 0], "every 503 is a counted pending overflow: \(crowd)")
    }
}
