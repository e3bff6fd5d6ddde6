import Foundation
import Testing

/// PostgreSQL behind its sidecar (a Service port named `tcp-postgres`) and the client's Sidecar
/// egress port for it, STRICT mutual TLS between the sidecars.
private let postgresMesh = """
apiVersion: v1
kind: Service
metadata: {name: pg}
spec:
  selector: {app: pg}
  ports: [{name: tcp-postgres, port: 5432}]
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default}
spec:
  mtls: {mode: STRICT}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: client}
spec:
  workloadSelector: {labels: {app: client}}
  egress:
  - port: {number: 5432, protocol: TCP, name: tcp-postgres}
    captureMode: NONE
    hosts: ["./pg.default.svc.cluster.local"]
"""

/// Debian's PostgreSQL server and its own client, `psql`, through both sidecars.
enum PostgresServer {
    /// The server's directory of programs (`/usr/lib/postgresql/N/bin`), if installed.
    static var binaries: String? {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return versions.sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }.map { "\(root)/\($0)/bin" }
            .first { FileManager.default.isExecutableFile(atPath: "\($0)/postgres") && FileManager.default.isExecutableFile(atPath: "\($0)/initdb") }
    }
    static var available: Bool { binaries != nil && FileManager.default.isExecutableFile(atPath: "/usr/bin/psql") }
    /// PostgreSQL refuses to run as root: as root, its programs run as the `postgres` user.
    static var asPostgres: [String] { getuid() == 0 ? ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"] : [] }
}

@Suite("PostgreSQL through sidecars", .serialized, .enabled(if: PostgresServer.available, "PostgreSQL is not installed (.ci/run installs postgresql)"))
struct PostgresTests {
    @Test("psql at the client's Sidecar egress port queries PostgreSQL behind its sidecar over STRICT mutual TLS: a computed answer, a table written and read back, and a 1 MB value")
    func psqlQuery() throws {
        let binaries = try #require(PostgresServer.binaries)
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("weft-pg-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: data) }
        if getuid() == 0 { _ = try WeftProcess.runTool("chown", ["postgres:postgres", data]) }
        let initialized = try WeftProcess.runTool("sh", ["-c", (PostgresServer.asPostgres + ["\(binaries)/initdb", "-D", data, "-U", "postgres", "--auth=trust"]).joined(separator: " ") + " >/dev/null 2>&1; echo $?"])
        #expect(initialized.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "initdb failed")
        // The server's sidecar connects from its pod address, which initdb's default rules do not know.
        let rules = try FileHandle(forWritingTo: URL(fileURLWithPath: "\(data)/pg_hba.conf"))
        rules.seekToEndOfFile()
        try rules.write(contentsOf: Data("host all all 0.0.0.0/0 trust\n".utf8))
        try rules.close()

        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: postgresMesh).status == 0)
        let server = (PostgresServer.asPostgres + ["\(binaries)/postgres", "-D", data, "-p", "5432", "-k", data, "-h"]).joined(separator: " ")
        try mesh.startApp(name: "pg", labels: "app=pg", port: 5432, command: ["sh", "-c", "exec \(server) \"$WEFT_APP_ADDRESS\""])
        let client = try mesh.startClient()
        try mesh.waitForEndpoints(proxy: "client", cluster: "outbound|5432||pg.default.svc.cluster.local", count: 1)
        func psql(_ sql: String) throws -> String {
            try WeftProcess.runTool("psql", ["-h", client, "-p", "5432", "-U", "postgres", "-d", "postgres", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql])
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        var answer = ""
        let deadline = Date().addingTimeInterval(30)
        repeat {
            answer = (try? psql("select 40 + 2")) ?? ""
            if answer != "42" { Thread.sleep(forTimeInterval: 0.2) }
        } while answer != "42" && Date() < deadline
        #expect(answer == "42", "\(answer)\n\(mesh.workloadOutput())")
        _ = try psql("create table notes (id int, body text)")
        _ = try psql("insert into notes values (1, 'through the mesh')")
        #expect(try psql("select body from notes where id = 1") == "through the mesh")
        #expect(try psql("select length(repeat('x', 1000000))") == "1000000")
        #expect(try psql("select length(string_agg(repeat('y', 1000), '')) from generate_series(1, 1000)") == "1000000", "a 1 MB answer")

        let serverPod = try #require(try mesh.controlPlane.proxies().first { $0.id.hasPrefix("pg-") }?.podIP)
        let metrics = String(decoding: try Data(contentsOf: URL(string: "http://\(serverPod):15020/stats/prometheus")!), as: UTF8.self)
        #expect(metrics.split(separator: "\n").contains { $0.hasPrefix("istio_tcp_connections_opened_total{reporter=\"destination\"")
            && $0.contains("destination_service=\"pg.default.svc.cluster.local\"") && $0.contains("connection_security_policy=\"mutual_tls\"") }, "\(metrics.prefix(2000))")
    }
}
