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

private let redisV2Deployment = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: redis-v2}
spec:
  selector: {matchLabels: {app: redis, version: v2}}
  template:
    metadata: {labels: {app: redis, version: v2}}
    spec:
      serviceAccountName: redis
      containers:
      - name: redis
        image: docker.io/library/redis:7
        ports: [{containerPort: 6379}]
"""

/// The client's Sidecar: its port 6379 on the pod IP goes to redis (Istio's explicit, capture-less form).
private let clientEgressSidecar = """
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: client}
spec:
  workloadSelector: {labels: {app: client}}
  egress:
  - port: {number: 6379, protocol: TCP, name: tcp-redis}
    captureMode: NONE
    hosts: ["./redis.default.svc.cluster.local"]
  - port: {number: 6390, protocol: TCP, name: tcp-ghost}
    captureMode: NONE
    hosts: ["./ghost.default.svc.cluster.local"]
---
apiVersion: v1
kind: Service
metadata: {name: ghost}
spec:
  selector: {app: ghost}
  ports: [{name: tcp, port: 6390}]
"""

/// Plain TCP through the mesh: a Service port named `tcp-…` makes the server's sidecar pass the
/// connection's bytes to the app unparsed; a real `redis-server` (Debian's) is the app.
@Suite("TCP services through sidecars", .serialized,
       .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/redis-server"), "redis-server is not installed (.ci/run installs it)"))
struct TCPProxyTests {
    /// A mesh with redis behind its sidecar and a client workload; returns (mesh, client pod IP, redis pod IP).
    /// `extra` is applied first (more Deployments, the client's Sidecar).
    static func redisMesh(extra: String? = nil, deployments: [String] = ["redis"]) throws -> (MeshHarness, String, String) {
        let mesh = try MeshHarness()
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: redisManifests + (extra.map { "\n---\n" + $0 } ?? "")).status == 0)
        for deployment in deployments {
            // Each instance names its dump file after its Deployment: `CONFIG GET dbfilename` tells which answered.
            try startRedis(deployment, mesh: mesh)
        }
        let client = try mesh.startClient()
        try mesh.waitForEndpoints(proxy: "client", cluster: "outbound|6379||redis.default.svc.cluster.local", count: 1)
        let redisPod = try #require(try mesh.controlPlane.proxies().first { $0.id.hasPrefix("redis-") }?.podIP)
        // redis-server answers once it is up: wait (bounded) at its own address through nothing.
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, (try? Self.redisThroughTunnel(client: client))?["ping"] as? String != "PONG" { Thread.sleep(forTimeInterval: 0.1) }
        return (mesh, client, redisPod)
    }

    static func startRedis(_ deployment: String, mesh: MeshHarness) throws {
        let redis = Process()
        redis.executableURL = WeftProcess.executable
        redis.arguments = ["run", "--deployment", deployment, "--", "sh", "-c",
                           #"exec redis-server --bind "$WEFT_APP_ADDRESS" --port 6379 --save "" --appendonly no --protected-mode no --dir /tmp --dbfilename "$0.rdb""#, deployment]
        redis.environment = ProcessInfo.processInfo.environment.merging(mesh.environment) { _, new in new }
        try mesh.captureOutput(of: redis, name: deployment)
        try redis.run()
        mesh.adopt(redis)
    }

    /// `redis-cli -h HOST -p 6379 ARGS…` (a new connection each time).
    static func redisCLI(_ host: String, _ arguments: [String]) throws -> String {
        try WeftProcess.runTool("redis-cli", ["-h", host, "-p", "6379"] + arguments).trimmingCharacters(in: .whitespacesAndNewlines)
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

    @Test("a Sidecar egress port (6379, captureMode NONE) on the client's pod IP: the real redis-cli reaches redis through both sidecars over mutual TLS; a service without endpoints (UH) and no route (NR) close the connection, and the sidecar goes on")
    func sidecarEgressPort() throws {
        let (mesh, client, redisPod) = try Self.redisMesh(extra: clientEgressSidecar)
        defer { mesh.stopWorkloads() }
        let deadline = Date().addingTimeInterval(20)
        var pong = ""
        repeat {
            pong = (try? Self.redisCLI(client, ["PING"])) ?? ""
            if pong != "PONG" { Thread.sleep(forTimeInterval: 0.1) }
        } while pong != "PONG" && Date() < deadline
        #expect(pong == "PONG", "redis-cli to the client's egress port: \(pong)\n\(mesh.workloadOutput())")
        // A service with no endpoint: the connection is closed (UH), and the sidecar goes on serving.
        let ghost = try WeftProcess.runTool("redis-cli", ["-h", client, "-p", "6390", "PING"])
        #expect(!ghost.contains("PONG"), "\(ghost)")
        #expect(try Self.redisCLI(client, ["SET", "weft:egress", "through-the-mesh"]) == "OK")
        #expect(try Self.redisCLI(client, ["GET", "weft:egress"]) == "through-the-mesh")

        let outbound = String(decoding: try Data(contentsOf: URL(string: "http://\(client):15020/stats/prometheus")!), as: UTF8.self)
        let opened = outbound.split(separator: "\n").first { $0.hasPrefix("istio_tcp_connections_opened_total{reporter=\"source\"") && $0.contains("destination_workload=\"redis\"") }
        #expect((opened?.split(separator: " ").last.flatMap { Int($0) } ?? 0) >= 3, "\(opened.map(String.init) ?? outbound)")
        let inbound = String(decoding: try Data(contentsOf: URL(string: "http://\(redisPod):15020/stats/prometheus")!), as: UTF8.self)
        #expect(inbound.split(separator: "\n").contains { $0.hasPrefix("istio_tcp_connections_opened_total{reporter=\"destination\"") && $0.contains("connection_security_policy=\"mutual_tls\"") },
                "redis's sidecar saw mutual TLS: \(inbound.prefix(1500))")
        let listeners = try mesh.controlPlane.weft(["proxy-config", "listeners", try #require(try mesh.controlPlane.proxies().first { $0.id.hasPrefix("client-") }?.id)])
        #expect(listeners.stdout.contains("egress|6379") && listeners.stdout.contains("TCP"), "\(listeners.stdout)")

        // The Sidecar now names a host with no service on 6379: the port stays, connections close (NR).
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: clientEgressSidecar.replacingOccurrences(of: "./redis.default.svc.cluster.local", with: "./nothing.default.svc.cluster.local")).status == 0)
        let closedDeadline = Date().addingTimeInterval(20)
        var answer = "PONG"
        repeat {
            answer = (try? Self.redisCLI(client, ["PING"])) ?? ""
            if answer == "PONG" { Thread.sleep(forTimeInterval: 0.1) }
        } while answer == "PONG" && Date() < closedDeadline
        #expect(answer != "PONG", "no route: \(answer)")
        let stats = String(decoding: try Data(contentsOf: URL(string: "http://\(client):15020/stats/prometheus")!), as: UTF8.self)
        #expect(stats.contains("response_flags=\"NR\"") && stats.contains("response_flags=\"UH\""), "\(stats.split(separator: "\n").filter { $0.contains("istio_tcp_connections_closed_total") })")
    }

    @Test("a VirtualService tcp route with subsets and weights: 100 % to v2, then 50/50 reaching both, each connection to one redis")
    func weightedTCPRoute() throws {
        let (mesh, client, _) = try Self.redisMesh(extra: clientEgressSidecar + "\n---\n" + redisV2Deployment + "\n---\n" + """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: redis}
        spec:
          host: redis
          subsets:
          - {name: v1, labels: {version: v1}}
          - {name: v2, labels: {version: v2}}
        """, deployments: ["redis", "redis-v2"])
        defer { mesh.stopWorkloads() }
        try mesh.waitForEndpoints(proxy: "client", cluster: "outbound|6379||redis.default.svc.cluster.local", count: 2)
        func route(_ weights: [String: Int]) throws {
            let destinations = weights.sorted { $0.key < $1.key }.map { "    - {destination: {host: redis, subset: \($0.key)}, weight: \($0.value)}" }.joined(separator: "\n")
            #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: redis}
            spec:
              hosts: [redis]
              tcp:
              - match: [{port: 6379}]
                route:
            \(destinations)
            """).status == 0)
        }
        func served(_ count: Int) throws -> [String: Int] {
            var seen: [String: Int] = [:]
            for _ in 0..<count {
                let reply = try Self.redisCLI(client, ["CONFIG", "GET", "dbfilename"]).split(separator: "\n").last.map(String.init) ?? "?"
                seen[reply, default: 0] += 1
            }
            return seen
        }
        try route(["v2": 100])
        let deadline = Date().addingTimeInterval(20)
        var onlyV2: [String: Int] = [:]
        repeat {
            onlyV2 = try served(10)
            if onlyV2 != ["redis-v2.rdb": 10] { Thread.sleep(forTimeInterval: 0.1) }
        } while onlyV2 != ["redis-v2.rdb": 10] && Date() < deadline
        #expect(onlyV2 == ["redis-v2.rdb": 10], "\(onlyV2)\n\(mesh.workloadOutput())")
        try route(["v1": 50, "v2": 50])
        var both: [String: Int] = [:]
        let splitDeadline = Date().addingTimeInterval(20)
        repeat {
            both = try served(40)
        } while both["redis.rdb", default: 0] == 0 && Date() < splitDeadline
        #expect(both["redis.rdb", default: 0] > 0 && both["redis-v2.rdb", default: 0] > 0 && both.count == 2, "\(both)")
    }
}
