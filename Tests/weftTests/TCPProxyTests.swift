import Foundation
import Testing

private let redisManifests = """
apiVersion: v1
kind: ServiceAccount
metadata: {name: redis}
---
apiVersion: v1
kind: Service
metadata: {name: redis, labels: {app: redis}}
spec:
  selector: {app: redis}
  ports: [{name: tcp-redis, port: 6379}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: redis}
spec:
  selector: {matchLabels: {app: redis}}
  template:
    metadata: {labels: {app: redis, version: v1}}
    spec:
      serviceAccountName: redis
      containers:
      - name: redis
        image: docker.io/library/redis:7
        ports: [{containerPort: 6379}]
"""

/// Plain TCP through the mesh: a Service port named `tcp-…` makes the server's sidecar pass the
/// connection's bytes to the app unparsed; a real `redis-server` (Debian's) is the app.
@Suite("TCP services through sidecars", .serialized,
       .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/redis-server"), "redis-server is not installed (.ci/run installs it)"))
struct TCPProxyTests {
    /// A mesh with redis behind its sidecar and a client workload; returns (mesh, client pod IP, redis pod IP).
    static func redisMesh() throws -> (MeshHarness, String, String) {
        let mesh = try MeshHarness()
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: redisManifests).status == 0)
        let redis = Process()
        redis.executableURL = WeftProcess.executable
        redis.arguments = ["run", "--deployment", "redis", "--", "sh", "-c", #"exec redis-server --bind "$WEFT_APP_ADDRESS" --port 6379 --save "" --appendonly no --protected-mode no"#]
        redis.environment = ProcessInfo.processInfo.environment.merging(mesh.environment) { _, new in new }
        try mesh.captureOutput(of: redis, name: "redis")
        try redis.run()
        mesh.adopt(redis)
        let client = try mesh.startClient()
        try mesh.waitForEndpoints(proxy: "client", cluster: "outbound|6379||redis.default.svc.cluster.local", count: 1)
        let redisPod = try #require(try mesh.controlPlane.proxies().first { $0.id.hasPrefix("redis-") }?.podIP)
        // redis-server answers once it is up: wait (bounded) at its own address through nothing.
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, (try? Self.redisThroughTunnel(client: client))?["ping"] as? String != "PONG" { Thread.sleep(forTimeInterval: 0.1) }
        return (mesh, client, redisPod)
    }

    static func redisThroughTunnel(client: String) throws -> [String: Any] {
        let output = try WeftProcess.runTool("python3", [MeshHarness.fixtures.appendingPathComponent("redis_via_connect.py").path, "\(client):15001", "redis:6379"])
        return try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any], "\(output)")
    }

    @Test("a tcp-redis port carries RESP unparsed: SET/GET of a small and a 1 MiB value through the client's CONNECT tunnel and redis's sidecar, over mutual TLS; Istio's TCP metrics on both sides")
    func redisRoundTrip() throws {
        let (mesh, client, redisPod) = try Self.redisMesh()
        defer { mesh.stopWorkloads() }
        let reply = try Self.redisThroughTunnel(client: client)
        #expect(reply["connect"] as? Int == 200, "\(reply)")
        #expect(reply["ping"] as? String == "PONG", "\(reply)\n\(mesh.workloadOutput())")
        #expect(reply["small"] as? Bool == true && reply["large"] as? Bool == true, "\(reply)")

        let inbound = String(decoding: try Data(contentsOf: URL(string: "http://\(redisPod):15020/stats/prometheus")!), as: UTF8.self)
        let opened = inbound.split(separator: "\n").filter { $0.hasPrefix("istio_tcp_connections_opened_total{reporter=\"destination\"") }
        #expect(opened.contains { $0.contains("destination_service=\"redis.default.svc.cluster.local\"") && $0.contains("connection_security_policy=\"mutual_tls\"")
                && $0.contains("source_principal=\"spiffe://cluster.local/ns/default/sa/default\"") && $0.contains("request_protocol=\"tcp\"") },
                "the server's sidecar counts the connection as mutual TLS from the client's identity: \(opened)")
        let received = inbound.split(separator: "\n").first { $0.hasPrefix("istio_tcp_received_bytes_total{reporter=\"destination\"") }
        #expect((received?.split(separator: " ").last.flatMap { Int($0) } ?? 0) > 2 * 1_048_576, "two 1 MiB transfers each way at least: \(received ?? "")")
        let outbound = String(decoding: try Data(contentsOf: URL(string: "http://\(client):15020/stats/prometheus")!), as: UTF8.self)
        let sourceOpened = outbound.split(separator: "\n").filter { $0.hasPrefix("istio_tcp_connections_opened_total{reporter=\"source\"") }
        #expect(sourceOpened.contains { $0.contains("destination_workload=\"redis\"") && $0.contains("destination_principal=\"spiffe://cluster.local/ns/default/sa/redis\"")
                && $0.contains("destination_service=\"redis.default.svc.cluster.local\"") }, "the client's sidecar counts it to redis: \(sourceOpened)")
        if let promtool = StandardMetricsTests.promtool {
            for exposition in [inbound, outbound] {
                let (status, output) = try StandardMetricsTests.run(promtool, ["check", "metrics"], stdin: PrometheusText.istioOnly(exposition))
                let lints = output.split(separator: "\n").filter { !$0.isEmpty && !$0.contains("istio_request_duration_milliseconds") }
                #expect(status == 0 || (status == 3 && lints.isEmpty), "promtool check metrics (exit \(status)): \(output)")
            }
        }
    }

    @Test("under PeerAuthentication STRICT a client outside the mesh is refused at redis's pod IP, while the client's sidecar still gets through")
    func strictRefusesPlaintext() throws {
        let (mesh, client, redisPod) = try Self.redisMesh()
        defer { mesh.stopWorkloads() }
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: """
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: default, namespace: default}
        spec: {mtls: {mode: STRICT}}
        """).status == 0)
        let deadline = Date().addingTimeInterval(20)
        var plaintext = ""
        repeat {
            plaintext = (try? WeftProcess.runTool("redis-cli", ["-h", redisPod, "-p", "6379", "PING"])) ?? "error"
            if plaintext.contains("PONG") { Thread.sleep(forTimeInterval: 0.1) }
        } while plaintext.contains("PONG") && Date() < deadline
        #expect(!plaintext.contains("PONG"), "plaintext redis-cli straight to the sidecar: \(plaintext)")
        let reply = try Self.redisThroughTunnel(client: client)
        #expect(reply["ping"] as? String == "PONG" && reply["small"] as? Bool == true, "\(reply)")
    }
}
