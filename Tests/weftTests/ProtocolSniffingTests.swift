import Foundation
import Testing

/// Ports whose protocol nothing declares: redis behind a Service port named `db` (no known prefix),
/// the echo app behind an unnamed one, a server-first service, and the client's Sidecar egress ports
/// for them without a protocol. The mesh's protocolDetectionTimeout bounds the sniff.
private let undeclared = """
apiVersion: v1
kind: Service
metadata: {name: cache}
spec:
  selector: {app: cache}
  ports: [{name: db, port: 6379}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 9080}]
---
apiVersion: v1
kind: Service
metadata: {name: greeter}
spec:
  selector: {app: greeter}
  ports: [{name: chat, port: 2525}]
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: client}
spec:
  workloadSelector: {labels: {app: client}}
  egress:
  - port: {number: 6379}
    captureMode: NONE
    hosts: ["./cache.default.svc.cluster.local"]
  - port: {number: 9080}
    captureMode: NONE
    hosts: ["./web.default.svc.cluster.local"]
  - port: {number: 2525}
    captureMode: NONE
    hosts: ["./greeter.default.svc.cluster.local"]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  mesh: |
    protocolDetectionTimeout: 200ms
"""

/// Istio's protocol sniffing for undeclared ports, on both sides: HTTP/1.1 and HTTP/2 are served
/// as HTTP (routed, counted as requests), anything else is carried as TCP, and a server that
/// speaks first is reached once the detection timeout passes.
@Suite("Protocol sniffing", .serialized,
       .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/redis-server"), "redis-server is not installed (.ci/run installs it)"))
struct ProtocolSniffingTests {
    @Test("undeclared ports: redis-cli's RESP is carried as TCP, curl's HTTP/1.1 and h2c are routed as HTTP (Istio request metrics), a server-first protocol answers after protocolDetectionTimeout; the listeners say AUTO")
    func sniffed() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: undeclared).status == 0)
        try mesh.startApp(name: "cache", labels: "app=cache", port: 6379,
                          command: ["sh", "-c", #"exec redis-server --bind "$WEFT_APP_ADDRESS" --port 6379 --save "" --appendonly no --protected-mode no"#])
        try mesh.startEcho(name: "web", labels: "app=web")
        try mesh.startApp(name: "greeter", labels: "app=greeter", port: 2525,
                          command: ["python3", MeshHarness.fixtures.appendingPathComponent("banner_peers.py").path, "server", "2525"])
        let client = try mesh.startClient()
        for service in ["cache.default.svc.cluster.local", "web.default.svc.cluster.local", "greeter.default.svc.cluster.local"] {
            let port = service.hasPrefix("cache") ? 6379 : service.hasPrefix("web") ? 9080 : 2525
            try mesh.waitForEndpoints(proxy: "client", cluster: "outbound|\(port)||\(service)", count: 1)
        }
        var pong = ""
        let deadline = Date().addingTimeInterval(20)
        repeat {
            pong = (try? WeftProcess.runTool("redis-cli", ["-h", client, "-p", "6379", "PING"]))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            if pong != "PONG" { Thread.sleep(forTimeInterval: 0.1) }
        } while pong != "PONG" && Date() < deadline
        #expect(pong == "PONG", "\(pong)\n\(mesh.workloadOutput())")
        #expect(try WeftProcess.runTool("redis-cli", ["-h", client, "-p", "6379", "SET", "k", "sniffed"]).contains("OK"))
        #expect(try WeftProcess.runTool("redis-cli", ["-h", client, "-p", "6379", "GET", "k"]).contains("sniffed"))

        let http1 = try WeftProcess.runTool("curl", ["-s", "-m", "10", "-H", "Host: web:9080", "http://\(client):9080/hello"])
        #expect(http1.contains("\"name\": \"web\"") && http1.contains("x-request-id"), "routed as HTTP by both sidecars: \(http1)")
        let h2 = try HTTP2Tests.curlH2(["-H", "Host: web:9080", "http://\(client):9080/hello"])
        #expect(h2.version == "2" && h2.status == 200 && h2.body.contains("\"name\": \"web\""), "\(h2)")

        let greeting = try WeftProcess.runTool("python3", [MeshHarness.fixtures.appendingPathComponent("banner_peers.py").path, "client", client, "2525"])
        #expect(greeting.contains("\"greeting\": \"220 greeter ready\"") && greeting.contains("\"echo\": \"HELLO\""), "\(greeting)")

        let clientStats = String(decoding: try Data(contentsOf: URL(string: "http://\(client):15000/stats")!), as: UTF8.self)
        #expect(clientStats.contains("protocol_detection_timeout: 1"), "\(clientStats)")
        let metrics = String(decoding: try Data(contentsOf: URL(string: "http://\(client):15020/stats/prometheus")!), as: UTF8.self)
        #expect(metrics.split(separator: "\n").contains { $0.hasPrefix("istio_requests_total{") && $0.contains("destination_service=\"web.default.svc.cluster.local\"") })
        #expect(metrics.split(separator: "\n").contains { $0.hasPrefix("istio_tcp_connections_opened_total{") && $0.contains("destination_service=\"cache.default.svc.cluster.local\"") })
        let clientID = try #require(try mesh.controlPlane.proxies().first { $0.id.hasPrefix("client-") }?.id)
        let listeners = try mesh.controlPlane.weft(["proxy-config", "listeners", clientID]).stdout
        #expect(listeners.contains("egress|6379") && listeners.contains("AUTO") && listeners.contains("sniffed: http → routes outbound | tcp → outbound|6379||cache.default.svc.cluster.local(100)"),
                "\(listeners)")
    }
}
