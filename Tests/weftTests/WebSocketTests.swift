import Foundation
import Testing

/// The chat Service (an HTTP port), STRICT mutual TLS, and the client's Sidecar egress port for it.
private let chatMesh = """
apiVersion: v1
kind: Service
metadata: {name: chat}
spec:
  selector: {app: chat}
  ports: [{name: http-ws, port: 8765}]
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
  - port: {number: 8765, protocol: HTTP, name: http-ws}
    captureMode: NONE
    hosts: ["./chat.default.svc.cluster.local"]
"""

/// The `websockets` peers of `Tests/Fixtures/websocket_peers.py`.
enum WebSocketPeers {
    static let fixture = MeshHarness.fixtures.appendingPathComponent("websocket_peers.py").path
    static var installed: Bool {
        (try? WeftProcess.runTool("python3", ["-c", "import websockets; print('ok')"]))?.contains("ok") == true
    }
}

/// WebSocket through two sidecars with real peers (`websockets` from PyPI): the handshake is routed
/// as an HTTP request, the 101 comes back, then both sidecars splice the connection as bytes.
@Suite("WebSocket through sidecars", .serialized, .enabled(if: WebSocketPeers.installed, "websockets is not installed (.ci/run installs it from PyPI)"))
struct WebSocketTests {
    @Test("1000 messages (text, and binary up to 100 KB) echoed through the client's and the server's sidecars over STRICT mutual TLS; the upgrade counted on both and recorded as a 101; garbage after the handshake reaches the server as bytes; other upgrades refused with 403, h2c served as HTTP/1.1")
    func echo() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: chatMesh).status == 0)
        try mesh.startApp(name: "chat", labels: "app=chat", port: 8765, command: ["python3", WebSocketPeers.fixture, "server", "8765"])
        let client = try mesh.startClient()
        try mesh.waitForEndpoints(proxy: "client", cluster: "outbound|8765||chat.default.svc.cluster.local", count: 1)
        var output = ""
        var report: [String: Any] = [:]
        let deadline = Date().addingTimeInterval(30)
        repeat {
            output = try WeftProcess.runTool("python3", [WebSocketPeers.fixture, "client", client, "8765", "chat:8765", "1000"])
            report = (try? JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]) ?? [:]
            if report["sent"] as? Int != 1000 { Thread.sleep(forTimeInterval: 0.2) }
        } while report["sent"] as? Int != 1000 && Date() < deadline
        #expect(report["echoed"] as? Int == 1000 && report["server"] as? String == "chat" && report["error"] is NSNull,
                "\(output)\n\(mesh.workloadOutput())")

        let server = try #require(try mesh.controlPlane.proxies().first { $0.id.hasPrefix("chat-") }?.podIP)
        for pod in [client, server] {
            let stats = String(decoding: try Data(contentsOf: URL(string: "http://\(pod):15000/stats")!), as: UTF8.self)
            #expect(stats.contains("downstream_cx_upgrades_total: 1"), "\(pod): \(stats)")
        }
        let metrics = String(decoding: try Data(contentsOf: URL(string: "http://\(server):15020/stats/prometheus")!), as: UTF8.self)
        let upgrades = metrics.split(separator: "\n").filter { $0.hasPrefix("istio_requests_total{") && $0.contains("response_code=\"101\"") }
        #expect(upgrades.count == 1 && upgrades[0].contains("connection_security_policy=\"mutual_tls\"") && upgrades[0].hasSuffix(" 1"), "\(upgrades)")

        // The proxies do not parse frames: bytes that are none reach the server, which closes (0x88).
        let garbage = try WeftProcess.runTool("python3", [WebSocketPeers.fixture, "garbage", client, "8765", "chat:8765"])
        #expect(garbage.contains("101 Switching Protocols") && garbage.contains("\"first_byte\": 136"), "\(garbage)")

        let refused = try WeftProcess.runTool("curl", ["-s", "-i", "-m", "10", "-H", "Host: chat:8765", "-H", "Connection: Upgrade", "-H", "Upgrade: foo",
                                                      "http://\(client):8765/"])
        #expect(refused.hasPrefix("HTTP/1.1 403") && refused.lowercased().contains("connection: close"), "\(refused)")
        // curl --http2 over http:// asks for `Upgrade: h2c`: dropped, the request reaches the app as HTTP/1.1
        // (the WebSocket server answers a plain GET with 426).
        let h2c = try WeftProcess.runTool("curl", ["-s", "-o", "/dev/null", "-m", "10", "--http2", "-w", "%{http_version} %{http_code}", "-H", "Host: chat:8765",
                                                  "http://\(client):8765/"])
        #expect(h2c == "1.1 426", "\(h2c)")
    }

    @Test("over HTTP/2 (RFC 8441): the client's sidecar offers SETTINGS_ENABLE_CONNECT_PROTOCOL on h2c, takes an extended CONNECT for a WebSocket, upgrades HTTP/1.1 to the server (a real websockets server, through its sidecar over STRICT mTLS), answers 200, and carries 200 messages both ways in DATA frames; the close handshake and END_STREAM end it")
    func echoOverHTTP2() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: chatMesh).status == 0)
        try mesh.startApp(name: "chat", labels: "app=chat", port: 8765, command: ["python3", WebSocketPeers.fixture, "server", "8765"])
        let client = try mesh.startClient()
        try mesh.waitForEndpoints(proxy: "client", cluster: "outbound|8765||chat.default.svc.cluster.local", count: 1)
        var output = ""
        var report: [String: Any] = [:]
        let deadline = Date().addingTimeInterval(30)
        repeat {
            output = try WeftProcess.runTool("python3", [WebSocketPeers.fixture, "h2client", client, "8765", "chat:8765", "200"])
            report = (try? JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]) ?? [:]
            if report["sent"] as? Int != 200 { Thread.sleep(forTimeInterval: 0.2) }
        } while report["sent"] as? Int != 200 && Date() < deadline
        #expect(report["enable_connect_protocol"] as? Int == 1 && report["status"] as? Int == 200, "\(output)\n\(mesh.workloadOutput())")
        #expect(report["echoed"] as? Int == 200 && report["server"] as? String == "chat" && report["error"] is NSNull, "\(output)")
        #expect(report["close_code"] as? Int == 1000 && report["ended"] as? Bool == true, "\(output)")
        let stats = String(decoding: try Data(contentsOf: URL(string: "http://\(client):15000/stats")!), as: UTF8.self)
        #expect(stats.contains("downstream_cx_upgrades_total: 1"), "\(stats)")
    }

    @Test("to an HTTP/2-only server (RFC 8441 upstream): a WebSocket client's HTTP/1.1 handshake goes from its sidecar to the server's as an extended CONNECT (the service port is http2, STRICT mTLS), and from there to the app, which speaks only HTTP/2 and offers SETTINGS_ENABLE_CONNECT_PROTOCOL, as another; the client gets its 101 with a Sec-WebSocket-Accept for its key, and 200 messages come back")
    func echoToHTTP2Upstream() throws {
        let mesh = try MeshHarness()
        try mesh.oneLoopPerProxy()
        defer { mesh.stopWorkloads() }
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: """
        apiVersion: v1
        kind: Service
        metadata: {name: chat2}
        spec:
          selector: {app: chat2}
          ports: [{name: http2-ws, port: 8766}]
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
          - port: {number: 8766, protocol: HTTP, name: http-ws}
            captureMode: NONE
            hosts: ["./chat2.default.svc.cluster.local"]
        """).status == 0)
        try mesh.startApp(name: "chat2", labels: "app=chat2", port: 8766, command: ["python3", WebSocketPeers.fixture, "h2server", "8766"])
        let client = try mesh.startClient()
        try mesh.waitForEndpoints(proxy: "client", cluster: "outbound|8766||chat2.default.svc.cluster.local", count: 1)
        var output = ""
        var report: [String: Any] = [:]
        let deadline = Date().addingTimeInterval(30)
        repeat {
            output = try WeftProcess.runTool("python3", [WebSocketPeers.fixture, "client", client, "8766", "chat2:8766", "200"])
            report = (try? JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]) ?? [:]
            if report["sent"] as? Int != 200 { Thread.sleep(forTimeInterval: 0.2) }
        } while report["sent"] as? Int != 200 && Date() < deadline
        #expect(report["echoed"] as? Int == 200 && report["server"] as? String == "chat2" && report["error"] is NSNull, "\(output)\n\(mesh.workloadOutput())")
        let stats = String(decoding: try Data(contentsOf: URL(string: "http://\(client):15000/stats")!), as: UTF8.self)
        #expect(stats.contains("cluster.outbound|8766||chat2.default.svc.cluster.local.upstream_cx_upgrades_total: 1")
                && stats.contains("cluster.outbound|8766||chat2.default.svc.cluster.local.upstream_cx_http2_total: 1"), "\(stats)")
        let server = try #require(mesh.controlPlane.proxies().first { $0.id.hasPrefix("chat2-") }?.podIP)
        let serverStats = String(decoding: try Data(contentsOf: URL(string: "http://\(server):15000/stats")!), as: UTF8.self)
        #expect(serverStats.contains("downstream_cx_upgrades_total: 1") && serverStats.contains("cluster.inbound|8766||.upstream_cx_upgrades_total: 1"), "\(serverStats)")
    }
}
