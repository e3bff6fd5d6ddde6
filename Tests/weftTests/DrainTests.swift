import Foundation
import Testing

/// The drainer's Sidecar resource: its port 9080 on the pod IP is an HTTP listener routed as the outbound proxy.
private let drainerEgress = """
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: drainer}
spec:
  workloadSelector: {labels: {app: drainer}}
  egress:
  - port: {number: 9080, protocol: HTTP, name: http-reviews}
    captureMode: NONE
    hosts: ["./reviews.default.svc.cluster.local"]
  - hosts: ["./*"]
"""

/// A proxy's listener that stops, because the proxy stops or because the configuration no longer
/// names it, drains its downstream connections as Envoy does instead of dropping them: clients
/// with answers in flight get them.
@Suite("Graceful drain", .serialized, .enabled(if: HTTP2Tests.hasH2, "the h2 package is not installed (.ci/run installs it from PyPI)"))
struct DrainTests {
    /// The mesh, reviews behind its sidecar, and the drainer workload (its process held by the test).
    struct Drainer {
        let mesh: MeshHarness
        let process: Process
        let podIP: String

        init() throws {
            mesh = try MeshHarness()
            guard try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: MeshFixtures.reviewsService + "\n---\n" + drainerEgress).status == 0 else {
                throw mesh.failure("not applied")
            }
            try mesh.startEcho(name: "reviews-v1", labels: "app=reviews,version=v1")
            process = Process()
            process.executableURL = WeftProcess.executable
            // An app that exits 0 on SIGTERM, so its status is the sidecar's stop, not the signal's.
            process.arguments = ["run", "--labels", "app=drainer", "--name", "drainer", "--", "sh", "-c", "trap 'kill $!; exit 0' TERM; sleep 600 & wait"]
            process.environment = ProcessInfo.processInfo.environment.merging(mesh.environment) { _, new in new }
            try mesh.captureOutput(of: process, name: "drainer")
            try process.run()
            mesh.adopt(process)
            var found: String?
            let mesh = self.mesh
            try mesh.waitUntil("the drainer's sidecar is synced") {
                found = (try? mesh.controlPlane.proxies())?.first { $0.id.hasPrefix("drainer-") && $0.state == "SYNCED" }?.podIP
                return found != nil
            }
            podIP = found ?? ""
            try mesh.waitForEndpoints(proxy: "drainer", count: 1)
            let podIP = self.podIP
            try mesh.waitUntil("reviews answers through the drainer's egress port") {
                (try? WeftProcess.runTool("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Host: reviews:9080", "http://\(podIP):9080/"])) == "200"
            }
        }

        /// Runs `drain_client.py` against `port`, calls `stop` once its requests are in flight, and returns what the clients saw.
        func clients(port: Int, stop: () throws -> Void) throws -> [String: Any] {
            let fixture = Process()
            fixture.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            fixture.arguments = ["python3", MeshHarness.fixtures.appendingPathComponent("drain_client.py").path, podIP, String(port), "reviews:9080", "/delay/3"]
            let output = Pipe()
            fixture.standardOutput = output
            try fixture.run()
            mesh.adopt(fixture)
            let reader = output.fileHandleForReading
            var text = ""
            while !text.contains("\n"), case let chunk = reader.availableData, !chunk.isEmpty { text += String(decoding: chunk, as: UTF8.self) }
            guard text.hasPrefix("ready") else { throw mesh.failure("the clients did not start: \(text)") }
            try stop()
            let rest = String(decoding: reader.readDataToEndOfFile(), as: UTF8.self)
            let line = (text + rest).split(separator: "\n").last.map(String.init) ?? ""
            guard let result = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { throw mesh.failure("no result: \(text)\(rest)") }
            return result
        }

        /// What every client must have seen: the drain, as Envoy's, with each answer in flight delivered.
        func expectDrained(_ result: [String: Any]) {
            let goAways = (result["goaway"] as? [[Int]]) ?? []
            #expect(goAways.first == [0, Int(Int32.max)], "first GOAWAY: NO_ERROR with the highest stream ID: \(result)")
            #expect(goAways.last == [0, 1], "the last GOAWAY names stream 1, the one in flight: \(result)")
            #expect(result["h2_status"] as? Int == 200 && result["h2_ended"] as? Bool == true && result["h2_closed"] as? Bool == true, "\(result)")
            #expect(result["busy_status"] as? Int == 200 && result["busy_connection"] as? String == "close" && result["busy_closed"] as? Bool == true, "\(result)")
            #expect(result["idle_closed"] as? Bool == true, "\(result)")
        }
    }

    @Test("SIGTERM to `weft run`: an HTTP/2 client gets GOAWAY NO_ERROR (highest stream ID, then its last stream) and its slow stream's 200, then the connection closes; an HTTP/1.1 request in flight gets its 200 with Connection: close; an idle keep-alive connection is closed; the sidecar then exits cleanly")
    func stopDrainsConnections() throws {
        let drainer = try Drainer()
        defer { drainer.mesh.stopWorkloads() }
        let result = try drainer.clients(port: 15001) { drainer.process.terminate() }
        drainer.expectDrained(result)
        try drainer.mesh.waitUntil("the drainer exits once drained") { !drainer.process.isRunning }
        #expect(drainer.process.terminationStatus == 0 && !drainer.mesh.output(of: "drainer").contains("Error"),
                "the sidecar stopped cleanly: \(drainer.mesh.output(of: "drainer"))")
    }

    @Test("a Sidecar egress port the configuration drops drains the same way (its clients get GOAWAY, Connection: close and their answers), counted as downstream_cx_drain_close; the sidecar serves on")
    func removedListenerDrains() throws {
        let drainer = try Drainer()
        defer { drainer.mesh.stopWorkloads() }
        let result = try drainer.clients(port: 9080) {
            let deleted = try drainer.mesh.controlPlane.weft(["delete", "sidecar", "drainer"])
            guard deleted.status == 0 else { throw drainer.mesh.failure("not deleted: \(deleted.stderr)") }
        }
        drainer.expectDrained(result)
        let stats = String(decoding: try Data(contentsOf: URL(string: "http://\(drainer.podIP):15000/stats")!), as: UTF8.self)
        #expect(stats.contains("downstream_cx_drain_close: 3"), "\(stats)")
        #expect(try drainer.mesh.curl(through: drainer.podIP, "http://reviews:9080/").0 == 200)
    }
}
