import Foundation
import Testing

/// DestinationRule `connectionPool.tcp` on a TCP service: one connection at most, one second idle.
private let limitedRedis = """
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: redis}
spec:
  host: redis
  trafficPolicy:
    connectionPool:
      tcp: {maxConnections: 1, idleTimeout: 1s, connectTimeout: 2s, tcpKeepalive: {time: 30s, interval: 5s, probes: 3}}
"""

/// A client that holds one connection: PING, then it says "open" and waits (15 s at most) for the
/// proxy to close it, and says how it ended.
private let heldConnection = """
import socket, sys, time
sock = socket.create_connection((sys.argv[1], 6379), timeout=10)
sock.sendall(b"PING\\r\\n")
print(sock.recv(64).decode().strip(), flush=True)
print("open", flush=True)
sock.settimeout(15)
try:
    print("closed" if sock.recv(64) == b"" else "data")
except OSError as error:
    print("timeout" if isinstance(error, socket.timeout) else "reset")
"""

/// The connection pool of a TCP cluster, as Envoy's tcp_proxy applies Istio's DestinationRule.
@Suite("TCP connection pool", .serialized,
       .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/redis-server"), "redis-server is not installed (.ci/run installs it)"))
struct TCPConnectionPoolTests {
    @Test("tcp.maxConnections 1: a second connection while one is open is closed (UO, upstream_cx_overflow); tcp.idleTimeout 1s closes the idle one (idle_timeout), after which a new one gets through; the upstream socket keeps alive as tcpKeepalive says")
    func maxConnectionsAndIdle() throws {
        let (mesh, client, _) = try TCPProxyTests.redisMesh(extra: clientEgressSidecarForPool + "\n---\n" + limitedRedis)
        defer { mesh.stopWorkloads() }
        var pong = ""
        let deadline = Date().addingTimeInterval(20)
        repeat {
            pong = (try? TCPProxyTests.redisCLI(client, ["PING"])) ?? ""
            if pong != "PONG" { Thread.sleep(forTimeInterval: 0.1) }
        } while pong != "PONG" && Date() < deadline
        #expect(pong == "PONG", "\(mesh.workloadOutput())")

        let held = Process()
        held.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        held.arguments = ["python3", "-c", heldConnection, client]
        let output = Pipe()
        held.standardOutput = output
        try held.run()
        var said = ""
        while !said.contains("open") {
            let data = output.fileHandleForReading.availableData
            if data.isEmpty { break }
            said += String(decoding: data, as: UTF8.self)
        }
        #expect(said.hasPrefix("+PONG") && said.contains("open"), "\(said)")
        // Its upstream socket carries the DestinationRule's keepalive (30 s idle before the first probe).
        let sockets = try WeftProcess.runTool("ss", ["-tnoH", "state", "established", "( dport = :6379 )"])
        #expect(sockets.split(separator: "\n").contains { $0.contains("keepalive") }, "the sidecar's socket to redis's sidecar: \(sockets)")

        let refused = (try? TCPProxyTests.redisCLI(client, ["PING"])) ?? ""
        #expect(refused != "PONG", "a second connection is over the limit: \(refused)")
        held.waitUntilExit()
        said += String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(said.hasSuffix("closed\n"), "the idle connection is closed by the proxy: \(said)")

        var again = ""
        let againDeadline = Date().addingTimeInterval(10)
        repeat {
            again = (try? TCPProxyTests.redisCLI(client, ["PING"])) ?? ""
            if again != "PONG" { Thread.sleep(forTimeInterval: 0.1) }
        } while again != "PONG" && Date() < againDeadline
        #expect(again == "PONG", "the slot is free again")
        let stats = String(decoding: try Data(contentsOf: URL(string: "http://\(client):15000/stats")!), as: UTF8.self)
        #expect(stats.contains("cluster.outbound|6379||redis.default.svc.cluster.local.upstream_cx_overflow: ")
                && stats.contains("cluster.outbound|6379||redis.default.svc.cluster.local.idle_timeout: "), "\(stats)")
    }
}

/// The client's Sidecar: its port 6379 on the pod IP goes to redis. The client runs one loop: with
/// more, each loop may open its first connection whatever maxConnections says (Envoy's per-worker
/// pools do the same), and a second connection could land on a second loop.
private let clientEgressSidecarForPool = """
apiVersion: networking.istio.io/v1beta1
kind: ProxyConfig
metadata: {name: client}
spec:
  selector: {matchLabels: {app: client}}
  concurrency: 1
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: client}
spec:
  workloadSelector: {labels: {app: client}}
  egress:
  - port: {number: 6379, protocol: TCP, name: tcp-redis}
    captureMode: NONE
    hosts: ["./redis.default.svc.cluster.local"]
"""
