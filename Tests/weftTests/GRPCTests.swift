import Foundation
import Testing

private let echoService = """
apiVersion: v1
kind: Service
metadata: {name: echo}
spec:
  selector: {app: echo}
  ports: [{name: grpc, port: 50051}]
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: client}
spec:
  workloadSelector: {labels: {app: client}}
  egress:
  - port: {number: 50051, protocol: GRPC, name: grpc}
    captureMode: NONE
    hosts: ["./echo.default.svc.cluster.local"]
"""

/// The grpcio peers of `Tests/Fixtures/grpc_peers.py`.
enum GRPCPeers {
    static var installed: Bool {
        (try? WeftProcess.runTool("python3", ["-c", "import grpc; print('ok')"]))?.contains("ok") == true
    }
}

/// gRPC through two sidecars with real grpcio peers: the client's Sidecar egress port takes the
/// call as HTTP/2, the client's sidecar opens an HTTP/2 stream (mutual TLS) to the server's, which
/// opens one to the app; trailers (grpc-status) come back the same way.
@Suite("gRPC through sidecars", .serialized, .enabled(if: GRPCPeers.installed, "grpcio is not installed (.ci/run installs it from PyPI)"))
struct GRPCTests {
    @Test("unary, server streaming, client streaming and bidirectional calls through the client's and the server's sidecars over mutual TLS, at the Sidecar egress port and through http_proxy (a CONNECT tunnel served as HTTP/2); an UNAVAILABLE status and its message reach the caller")
    func everyCallKind() throws {
        let mesh = try MeshHarness()
        try mesh.oneLoopPerProxy()
        defer { mesh.stopWorkloads() }
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: echoService).status == 0)
        try mesh.startApp(name: "echo-v1", labels: "app=echo,version=v1", port: 50051, command: ["sh", "-c",
                          "exec python3 \(MeshHarness.fixtures.appendingPathComponent("grpc_peers.py").path) serve \"$WEFT_APP_ADDRESS\" 50051 echo-v1"])
        let client = try mesh.startClient()
        try mesh.waitForEndpoints(proxy: "client", cluster: "outbound|50051||echo.default.svc.cluster.local", count: 1)
        let fixture = MeshHarness.fixtures.appendingPathComponent("grpc_peers.py").path
        var output = ""
        var reply: [String: Any] = [:]
        let deadline = Date().addingTimeInterval(30)
        repeat {
            output = try WeftProcess.runTool("python3", [fixture, "call", "\(client):50051", "echo:50051"])
            reply = (try? JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]) ?? [:]
            if reply.isEmpty { Thread.sleep(forTimeInterval: 0.2) }
        } while reply.isEmpty && Date() < deadline
        #expect(reply["unary"] as? String == "echo-v1:hello", "\(output)\n\(mesh.workloadOutput())")
        #expect(reply["server_stream"] as? [String] == (0..<5).map { "echo-v1:\($0)" })
        #expect(reply["client_stream"] as? String == "echo-v1:a+b+c")
        #expect(reply["bidi"] as? [String] == ["x", "y", "z", "w"].map { "echo-v1:\($0)" })
        #expect(reply["unavailable"] as? String == "UNAVAILABLE" && reply["unavailable_message"] as? String == "echo-v1 is unavailable", "\(reply)")
        // grpcio as `weft run` leaves it (http_proxy set): a CONNECT tunnel whose HTTP/2 the client's sidecar serves itself.
        let proxied = try WeftProcess.runTool("env", ["GRPC_VIA_PROXY=1", "http_proxy=http://\(client):15001", "python3", fixture, "call", "echo:50051", "echo:50051"])
        let viaProxy = (try? JSONSerialization.jsonObject(with: Data(proxied.utf8)) as? [String: Any]) ?? [:]
        #expect(viaProxy["unary"] as? String == "echo-v1:hello" && viaProxy["bidi"] as? [String] == ["x", "y", "z", "w"].map { "echo-v1:\($0)" }
                && viaProxy["unavailable"] as? String == "UNAVAILABLE", "\(proxied)")
        let stats = String(decoding: try Data(contentsOf: URL(string: "http://\(client):15000/stats")!), as: UTF8.self)
        #expect(stats.contains("downstream_cx_tunnel_http2: 1") && !stats.contains("downstream_cx_tunnel: "), "the tunnel was served as HTTP/2, not spliced: \(stats)")
        #expect(stats.contains("cluster.outbound|50051||echo.default.svc.cluster.local.upstream_cx_http2_total: 1"), "one HTTP/2 connection carries every call: \(stats)")
        // Over mutual TLS: the HTTP/2 connection, and the tunnel's own (opened before the sniff, then dropped).
        #expect(stats.contains("cluster.outbound|50051||echo.default.svc.cluster.local.ssl.handshake: 2"), "over mutual TLS: \(stats)")
        // ALPN as between Istio sidecars: the HTTP/2 connection offered istio-h2, the tunnel's (TCP) istio.
        let server = try #require(try mesh.controlPlane.proxies().first { $0.id.hasPrefix("echo-v1-") }?.podIP)
        let serverStats = String(decoding: try Data(contentsOf: URL(string: "http://\(server):15000/stats")!), as: UTF8.self)
        #expect(serverStats.contains("ssl.alpn.istio-h2: 1") && serverStats.contains("ssl.alpn.istio: 1"), "\(serverStats)")
    }

    @Test("retries on `unavailable` reach the healthy replica (the bad one's status comes in trailers, through its sidecar); a call to a service with no endpoint gets gRPC UNAVAILABLE from the proxy (HTTP 200, flag UH), one past its grpc-timeout DEADLINE_EXCEEDED (DT); metrics say request_protocol grpc with each call's grpc_response_status and no DC")
    func retriesAndLocalReplies() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: retryingMesh).status == 0)
        let fixture = MeshHarness.fixtures.appendingPathComponent("grpc_peers.py").path
        for (name, fails) in [("echo-v1", "0"), ("echo-bad", "1")] {
            try mesh.startApp(name: name, labels: "app=echo,version=\(name)", port: 50051,
                              command: ["sh", "-c", "exec python3 \(fixture) serve \"$WEFT_APP_ADDRESS\" 50051 \(name)"], environment: ["FAIL_UNARY": fails])
        }
        let client = try mesh.startClient()
        try mesh.waitForEndpoints(proxy: "client", cluster: "outbound|50051||echo.default.svc.cluster.local", count: 2)
        let output = try WeftProcess.runTool("python3", [fixture, "unary", "\(client):50051", "echo:50051", "20"])
        let answers = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String], "\(output)")
        #expect(answers == (0..<20).map { "echo-v1:\($0)" }, "\(answers)\n\(mesh.workloadOutput())")
        let stats = String(decoding: try Data(contentsOf: URL(string: "http://\(client):15000/stats")!), as: UTF8.self)
        let retries = stats.split(separator: "\n").first { $0.hasPrefix("cluster.outbound|50051||echo.default.svc.cluster.local.upstream_rq_retry: ") }
        #expect((retries.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0) > 0, "the bad replica was tried and the call retried: \(stats)")

        // The caller's deadline (grpc-timeout, 200 ms) ends a 2 s call at the client's sidecar: DEADLINE_EXCEEDED, flag DT.
        let deadline = try WeftProcess.runTool("python3", [fixture, "deadline", client, "50051", "echo:50051", "200m"])
        #expect(deadline.contains("\":status\": \"200\"") && deadline.contains("\"grpc-status\": \"4\"") && deadline.contains("downstream duration timeout"), "\(deadline)")

        let ghost = try WeftProcess.runTool("python3", [fixture, "unary", "\(client):50052", "ghost:50052", "1"])
        #expect(ghost.contains("UNAVAILABLE: no healthy upstream"), "\(ghost)")

        let metrics = String(decoding: try Data(contentsOf: URL(string: "http://\(client):15020/stats/prometheus")!), as: UTF8.self)
        let calls = metrics.split(separator: "\n").filter { $0.hasPrefix("istio_requests_total{") }
        #expect(calls.contains { $0.contains("destination_service=\"echo.default.svc.cluster.local\"") && $0.contains("request_protocol=\"grpc\",response_code=\"200\",grpc_response_status=\"0\",response_flags=\"-\"") && $0.hasSuffix(" 20") }, "\(calls)")
        #expect(calls.contains { $0.contains("destination_service=\"ghost.default.svc.cluster.local\"") && $0.contains("response_code=\"200\",grpc_response_status=\"14\",response_flags=\"UH\"") }, "\(calls)")
        #expect(calls.contains { $0.contains("grpc_response_status=\"4\",response_flags=\"DT\"") }, "\(calls)")
        #expect(!calls.contains { $0.contains("DC") }, "\(calls)")
    }
}

/// Retries on UNAVAILABLE for echo; ghost has no workload; the client's Sidecar listens for both.
private let retryingMesh = """
apiVersion: v1
kind: Service
metadata: {name: echo}
spec:
  selector: {app: echo}
  ports: [{name: grpc, port: 50051}]
---
apiVersion: v1
kind: Service
metadata: {name: ghost}
spec:
  selector: {app: ghost}
  ports: [{name: grpc, port: 50052}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: echo}
spec:
  hosts: [echo]
  http:
  - route: [{destination: {host: echo}}]
    retries: {attempts: 3, retryOn: unavailable}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: client}
spec:
  workloadSelector: {labels: {app: client}}
  egress:
  - port: {number: 50051, protocol: GRPC, name: grpc}
    captureMode: NONE
    hosts: ["./echo.default.svc.cluster.local"]
  - port: {number: 50052, protocol: GRPC, name: grpc-ghost}
    captureMode: NONE
    hosts: ["./ghost.default.svc.cluster.local"]
"""
