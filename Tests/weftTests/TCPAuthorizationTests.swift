import Foundation
import Testing

/// istio.io's "Authorization for TCP traffic" task on this host: tcp-echo (a stand-in for Istio's
/// sample, Tests/Fixtures/tcp_echo.py) listens on 9000, 9001 and 9002, its Service declares 9000 and
/// 9001 (`tcp` ports); the client reaches those through its sidecar (Sidecar egress ports) over
/// mutual TLS, and 9002 at the pod's address from outside the mesh, as the task sends it to the pod IP.
@Suite("AuthorizationPolicy on TCP traffic", .serialized)
struct TCPAuthorizationTests {
    static let manifests = """
        apiVersion: v1
        kind: Service
        metadata: {name: tcp-echo}
        spec:
          selector: {app: tcp-echo}
          ports: [{name: tcp, port: 9000}, {name: tcp-other, port: 9001}]
        ---
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: client}
        spec:
          workloadSelector: {labels: {app: client}}
          egress:
          - port: {number: 9000, protocol: TCP, name: tcp}
            captureMode: NONE
            hosts: ["./tcp-echo.default.svc.cluster.local"]
          - port: {number: 9001, protocol: TCP, name: tcp-other}
            captureMode: NONE
            hosts: ["./tcp-echo.default.svc.cluster.local"]
        """

    /// Sends "port N" on a new connection and returns the echo, or nil when the connection was refused or closed without one.
    static func send(_ host: String, _ port: Int) -> String? {
        let script = """
            import socket, sys
            try:
                s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
                s.sendall(b"port " + sys.argv[2].encode() + b"\\n")
                data = s.recv(100)
                print(data.decode().strip() if data else "closed")
            except Exception as error:
                print("error", error)
            """
        let output = ((try? WeftProcess.runTool("python3", ["-c", script, host, String(port)])) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        return output.hasPrefix("hello ") ? output : nil
    }

    static func policy(_ action: String, rule: String) -> String {
        """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: tcp-policy, namespace: default}
        spec:
          selector: {matchLabels: {app: tcp-echo}}
          action: \(action)
          rules:
          - \(rule)
        """
    }

    @Test("the task's three policies: ALLOW ports 9000 and 9001 (9002 refused); an ALLOW rule naming methods is left out for TCP (9000 refused); a DENY rule naming methods keeps its port (9000 refused, 9001 open); ALLOW by principal lets the mesh client in and not a plaintext peer; counted tcp.rbac.*")
    func tcpTask() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: Self.manifests).status == 0)
        try mesh.startApp(name: "tcp-echo-v1", labels: "app=tcp-echo", port: 9000,
                          command: ["python3", MeshHarness.fixtures.appendingPathComponent("tcp_echo.py").path, "9000", "9001", "9002"],
                          runArguments: ["--port", "9001", "--port", "9002"])
        let client = try mesh.startClient()
        try mesh.waitForEndpoints(proxy: "client-", cluster: "outbound|9000||tcp-echo.default.svc.cluster.local", count: 1)
        let echo = try #require(try mesh.controlPlane.proxies().first { $0.id.hasPrefix("tcp-echo-v1-") }?.podIP)
        try mesh.waitUntil("tcp-echo answers on its three ports") {
            Self.send(client, 9000) != nil && Self.send(client, 9001) != nil && Self.send(echo, 9002) != nil
        }
        #expect(Self.send(client, 9000) == "hello port 9000")

        // 1. ALLOW to ports 9000 and 9001: 9002 (no Service port, reached at the pod) is refused.
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: Self.policy("ALLOW", rule: #"to: [{operation: {ports: ["9000", "9001"]}}]"#)).status == 0)
        try mesh.waitUntil("the ALLOW policy refuses 9002") { Self.send(echo, 9002) == nil }
        #expect(Self.send(client, 9000) == "hello port 9000" && Self.send(client, 9001) == "hello port 9001")

        // 2. The ALLOW rule names methods, an HTTP-only field: Istio leaves the rule out for TCP, so nothing is allowed.
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: Self.policy("ALLOW", rule: #"to: [{operation: {methods: ["GET"], ports: ["9000"]}}]"#)).status == 0)
        try mesh.waitUntil("the ALLOW rule with methods is left out: 9000 refused") { Self.send(client, 9000) == nil }
        #expect(Self.send(client, 9001) == nil)

        // 3. A DENY rule naming methods: Istio drops the HTTP-only field and denies the port.
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: Self.policy("DENY", rule: #"to: [{operation: {methods: ["GET"], ports: ["9000"]}}]"#)).status == 0)
        try mesh.waitUntil("the DENY policy lets 9001 through") { Self.send(client, 9001) != nil }
        #expect(Self.send(client, 9000) == nil && Self.send(client, 9001) == "hello port 9001" && Self.send(echo, 9002) != nil)

        // 4. ALLOW by principal: the client's sidecar (mutual TLS, sa default) passes; a plaintext peer has no principal.
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: Self.policy("ALLOW", rule: #"from: [{source: {principals: ["cluster.local/ns/default/sa/default"]}}]"#)).status == 0)
        try mesh.waitUntil("the principal policy refuses the plaintext peer") { Self.send(echo, 9002) == nil }
        #expect(Self.send(client, 9000) == "hello port 9000")

        let stats = try WeftProcess.runTool("curl", ["-s", "--noproxy", "*", "http://\(echo):15000/stats"])
        func counter(_ name: String) -> Int {
            stats.split(separator: "\n").first { $0.hasPrefix(name + ": ") }.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
        }
        #expect(counter("tcp.rbac.denied") >= 4 && counter("tcp.rbac.allowed") >= 4, "\(stats.split(separator: "\n").filter { $0.contains("rbac") })")
        #expect(counter("tcp.rbac.denied.default/tcp-policy") >= 1 && counter("tcp.rbac.denied.no_allow_policy_matched") >= 1,
                "\(stats.split(separator: "\n").filter { $0.contains("rbac") })")
    }
}
