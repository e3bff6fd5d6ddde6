import Foundation
import Testing

/// istio.io's mirroring task with its own YAML and the real httpbin (PyPI, under gunicorn, as the
/// task's image runs it): the client gets v1's answer, and v2 logs the mirrored copy with `-shadow`.
@Suite("mirroring with the real httpbin", .serialized,
       .enabled(if: BookinfoDemo.corpusPresent && PyPIUpstreams.httpbinInstalled, "needs ../shared/istio-corpus and httpbin + gunicorn from PyPI (.ci/run installs them)"))
struct MirroringTests {
    static let tasks = "docs-tasks/mirroring/"

    @Test("6 mirroring: all to v1, then a mirror to v2: the client still gets v1's answer and v2 logs the copy for httpbin-shadow:8000")
    func mirroring() async throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        let corpus = BookinfoDemo.corpus.appendingPathComponent(Self.tasks)
        #expect(try mesh.controlPlane.weft(["apply", "-f", corpus.appendingPathComponent("00-httpbin-v1-v2-and-service.yaml").path]).status == 0)
        #expect(try mesh.controlPlane.weft(["apply", "-f", corpus.appendingPathComponent("01-route-all-to-v1.yaml").path]).status == 0)
        var logs: [String: URL] = [:]
        for version in ["v1", "v2"] {
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("httpbin-\(version)-\(UUID().uuidString).log")
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            logs[version] = log
            let process = Process()
            process.executableURL = WeftProcess.executable
            // gunicorn 27 opens a control socket under $HOME: a home of its own keeps the instances apart.
            process.arguments = ["run", "--deployment", "httpbin-\(version)", "--", "sh", "-c",
                                 #"HOME=$(mktemp -d) exec gunicorn --access-logfile - --access-logformat '%(r)s host=%({host}i)s' -b "$WEFT_APP_ADDRESS:80" httpbin:app"#]
            process.environment = ProcessInfo.processInfo.environment.merging(mesh.environment) { _, new in new }
            let handle = try FileHandle(forWritingTo: log)
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
            mesh.adopt(process)
        }
        let client = try mesh.startClient()
        for version in ["v1", "v2"] {
            try mesh.waitForEndpoints(proxy: "client", cluster: "outbound|8000|\(version)|httpbin.default.svc.cluster.local", count: 1, timeout: 30)
        }
        func log(_ version: String) -> String { (try? String(contentsOf: logs[version]!, encoding: .utf8)) ?? "" }
        /// gunicorn writes its access line after the response: wait for it, with a bound, on this
        /// thread (an await could resume only after the bound while other tests hold the pool's threads).
        func logged(_ version: String, _ line: String) -> Bool {
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline {
                if log(version).contains(line) { return true }
                Thread.sleep(forTimeInterval: 0.02)
            }
            return false
        }

        let before = try mesh.curl(through: client, "http://httpbin:8000/headers")
        #expect(before.0 == 200 && before.1.contains("httpbin:8000"), "\(before)")
        let primaryLogged = logged("v1", "GET /headers")
        #expect(primaryLogged, "\(log("v1"))")
        #expect(!log("v2").contains("GET /headers"), "v2 gets nothing before the mirror: \(log("v2"))")

        #expect(try mesh.controlPlane.weft(["apply", "-f", corpus.appendingPathComponent("02-mirror-to-v2.yaml").path]).status == 0)
        var answer = (0, "")
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline, !log("v2").contains("host=httpbin-shadow:8000") {
            answer = try mesh.curl(through: client, "http://httpbin:8000/headers")
        }
        #expect(log("v2").contains("GET /headers HTTP/1.1 host=httpbin-shadow:8000"), "v2 logs the mirrored copy: \(log("v2"))")
        #expect(answer.0 == 200 && answer.1.contains("\"Host\": \"httpbin:8000\""), "the client gets the primary's answer: \(answer)")
        #expect(!log("v1").contains("httpbin-shadow"), "v1 never sees the shadow host")
        let stats = String(decoding: try Data(contentsOf: URL(string: "http://\(client):15000/stats")!), as: UTF8.self)
        #expect(stats.contains("cluster.outbound|8000|v2|httpbin.default.svc.cluster.local.upstream_rq_mirrored: "), "\(stats)")
    }
}

/// Upstreams from PyPI that `.ci/run` installs.
enum PyPIUpstreams {
    static var httpbinInstalled: Bool {
        (try? BookinfoDemo.run("/usr/bin/env", ["sh", "-c", "python3 -c 'import httpbin' 2>/dev/null && command -v gunicorn >/dev/null && echo yes"]))?.hasPrefix("yes") ?? false
    }
}
