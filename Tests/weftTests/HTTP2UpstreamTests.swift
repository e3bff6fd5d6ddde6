import Foundation
import Testing

/// How the client's sidecar treats an HTTP/2 upstream that ends connections and refuses streams,
/// with a real h2 server (the h2 package) outside the mesh, reached through a ServiceEntry whose
/// port says HTTP2.
@Suite("HTTP/2 upstream connections", .serialized, .enabled(if: HTTP2Tests.hasH2, "the h2 package is not installed (.ci/run installs it from PyPI)"))
struct HTTP2UpstreamTests {
    /// Starts the fixture in `mode` and returns its port.
    static func startUpstream(_ mode: String, mesh: MeshHarness) throws -> Int {
        try startListener(mesh: mesh, command: ["python3", MeshHarness.fixtures.appendingPathComponent("h2_upstream.py").path, "0", mode])
    }

    /// Starts a server outside the mesh that prints the port it listens on first, and returns that port.
    static func startListener(mesh: MeshHarness, command: [String]) throws -> Int {
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // SIGTERM reset: the test runner ignores it, and an ignored signal survives exec.
        server.arguments = ["--default-signal=TERM"] + command
        let output = Pipe()
        server.standardOutput = output
        try server.run()
        mesh.adopt(server)
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return try #require(Int(line), "\(command) did not start: \(line)")
    }

    static func entry(_ host: String, port: Int, protocolName: String = "HTTP2") -> String {
        """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: \(host.replacingOccurrences(of: ".", with: "-"))}
        spec:
          hosts: [\(host)]
          resolution: STATIC
          ports: [{number: \(port), name: \(protocolName.lowercased()), protocol: \(protocolName)}]
          endpoints: [{address: 127.0.0.1}]
        """
    }

    static func rule(_ host: String, http: String) -> String {
        """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: \(host.replacingOccurrences(of: ".", with: "-"))}
        spec:
          host: \(host)
          trafficPolicy: {connectionPool: {http: \(http)}}
        """
    }

    /// The connection numbers (`conn C`) in the answers to `count` requests for `url` sent at once
    /// (threads released together) through the client's sidecar; a failed request adds nothing.
    static func connections(through client: String, _ url: String, count: Int) throws -> [String] {
        let script = """
        import sys, threading, urllib.request
        url, count = sys.argv[1], int(sys.argv[2])
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": sys.argv[3]}))
        start, answers = threading.Barrier(count), []
        def call():
            start.wait()
            try:
                answers.append(opener.open(url, timeout=20).read().decode())
            except Exception as error:
                answers.append(f"failed {error}")
        threads = [threading.Thread(target=call) for _ in range(count)]
        [thread.start() for thread in threads]
        [thread.join() for thread in threads]
        print("\\n".join(answers))
        """
        let output = try WeftProcess.runTool("python3", ["-c", script, url, String(count), "http://\(client):15001"])
        return output.split(separator: "\n").filter { $0.hasPrefix("conn ") }.compactMap { $0.split(separator: " ").dropFirst().first.map(String.init) }
    }

    @Test("tcp.maxConnectionDuration 1s on an HTTP/2 upstream: a stream that outlives the age finishes on its connection, the next request goes on a new one (upstream_cx_max_duration_reached)")
    func http2ConnectionAge() throws {
        let mesh = try MeshHarness()
        try mesh.oneLoopPerProxy()
        defer { mesh.stopWorkloads() }
        let port = try Self.startUpstream("serve", mesh: mesh)
        let rule = """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: aged-test}
        spec:
          host: aged.test
          trafficPolicy: {connectionPool: {tcp: {maxConnectionDuration: 1s}}}
        """
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: Self.entry("aged.test", port: port) + "\n---\n" + rule).status == 0)
        let client = try mesh.startClient()
        try mesh.waitForEndpoints(proxy: "client", cluster: "outbound|\(port)||aged.test", count: 1)
        // Answered after 1.2 s: its connection is past its age when the answer ends.
        let (slowStatus, slow) = try mesh.curl(through: client, "http://aged.test:\(port)/delay/1.2")
        #expect(slowStatus == 200 && slow.hasPrefix("conn 1 "), "\(slowStatus) \(slow)")
        let (status, next) = try mesh.curl(through: client, "http://aged.test:\(port)/")
        #expect(status == 200 && next.hasPrefix("conn 2 "), "a new connection: \(next)")
        let stats = String(decoding: try Data(contentsOf: URL(string: "http://\(client):15000/stats")!), as: UTF8.self)
        #expect(stats.contains("cluster.outbound|\(port)||aged.test.upstream_cx_max_duration_reached: 1"), "\(stats)")
    }

    @Test("http.idleTimeout 1s on an HTTP/2 upstream: the connection closes once it has carried no stream for 1 s (upstream_cx_idle_timeout), and the next request opens a new one")
    func http2IdleTimeout() throws {
        let mesh = try MeshHarness()
        try mesh.oneLoopPerProxy()
        defer { mesh.stopWorkloads() }
        let port = try Self.startUpstream("serve", mesh: mesh)
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: Self.entry("idle.test", port: port) + "\n---\n" + Self.rule("idle.test", http: "{idleTimeout: 1s}")).status == 0)
        let client = try mesh.startClient()
        try mesh.waitForEndpoints(proxy: "client", cluster: "outbound|\(port)||idle.test", count: 1)
        let (status, first) = try mesh.curl(through: client, "http://idle.test:\(port)/")
        #expect(status == 200 && first.hasPrefix("conn 1 "), "\(status) \(first)")
        let statsURL = URL(string: "http://\(client):15000/stats")!
        try TrafficPolicyTests.wait("the idle HTTP/2 connection's close") {
            String(decoding: try Data(contentsOf: statsURL), as: UTF8.self).contains("cluster.outbound|\(port)||idle.test.upstream_cx_idle_timeout: 1")
        }
        let (again, next) = try mesh.curl(through: client, "http://idle.test:\(port)/")
        #expect(again == 200 && next.hasPrefix("conn 2 "), "a new connection: \(next)")
    }

    @Test("maxConcurrentStreams 1 in a DestinationRule: 4 requests in flight at once go out on 4 HTTP/2 connections, where without it they share one; useClientProtocol: an h2c client's request reaches an h2-only server on a port declared HTTP, an HTTP/1.1 client's goes out as HTTP/1.1")
    func streamsPerConnectionAndClientProtocol() throws {
        let mesh = try MeshHarness()
        try mesh.oneLoopPerProxy()
        defer { mesh.stopWorkloads() }
        let limited = try Self.startUpstream("serve", mesh: mesh)
        let shared = try Self.startUpstream("serve", mesh: mesh)
        let h2Only = try Self.startUpstream("serve", mesh: mesh)
        let yaml = [Self.entry("limited.test", port: limited), Self.rule("limited.test", http: "{maxConcurrentStreams: 1}"),
                    Self.entry("shared.test", port: shared),
                    Self.entry("h2only.test", port: h2Only, protocolName: "HTTP"), Self.rule("h2only.test", http: "{useClientProtocol: true}")]
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: yaml.joined(separator: "\n---\n")).status == 0)
        let client = try mesh.startClient()
        try mesh.waitForEndpoints(proxy: "client", cluster: "outbound|\(h2Only)||h2only.test", count: 1)

        let apart = try Self.connections(through: client, "http://limited.test:\(limited)/delay/1", count: 4)
        #expect(apart.count == 4 && Set(apart).count == 4, "one stream a connection: \(apart)")
        let together = try Self.connections(through: client, "http://shared.test:\(shared)/delay/1", count: 4)
        #expect(together.count == 4 && Set(together).count == 1, "streams share the connection: \(together)")

        let h2c = try WeftProcess.runTool("curl", ["-s", "-m", "10", "--http2-prior-knowledge", "-H", "Host: h2only.test:\(h2Only)", "-w", " %{http_code}", "http://\(client):15001/"])
        #expect(h2c.hasPrefix("conn ") && h2c.hasSuffix(" 200"), "an h2c client's request goes out as HTTP/2: \(h2c)")
        let http1 = try WeftProcess.runTool("curl", ["-s", "-m", "10", "-o", "/dev/null", "-w", "%{http_code}", "-x", "http://\(client):15001", "http://h2only.test:\(h2Only)/"])
        #expect(http1 != "200", "an HTTP/1.1 client's request goes out as HTTP/1.1, which the h2-only server cannot answer: \(http1)")
    }

    @Test("a server's GOAWAY (after 5 requests a connection, as nginx's keepalive_requests) drains that connection: every one of 20 requests is answered, over several connections (upstream_cx_close_notify); streams refused with REFUSED_STREAM are retried under Istio's default policy (refused-stream) and every request is answered")
    func goAwayAndRefusedStreams() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        let draining = try Self.startUpstream("goaway-after-5", mesh: mesh)
        let refusing = try Self.startUpstream("refuse-odd", mesh: mesh)
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: Self.entry("draining.test", port: draining) + "\n---\n" + Self.entry("refusing.test", port: refusing)).status == 0)
        let client = try mesh.startClient()
        try mesh.waitForEndpoints(proxy: "client", cluster: "outbound|\(refusing)||refusing.test", count: 1)

        var connections = Set<String>()
        for index in 0..<20 {
            let (status, body) = try mesh.curl(through: client, "http://draining.test:\(draining)/\(index)")
            #expect(status == 200 && body.hasPrefix("conn "), "request \(index): \(status) \(body)")
            if let connection = body.split(separator: " ").dropFirst().first { connections.insert(String(connection)) }
        }
        #expect(connections.count >= 4, "5 requests a connection: \(connections)")

        for index in 0..<10 {
            let (status, body) = try mesh.curl(through: client, "http://refusing.test:\(refusing)/\(index)")
            #expect(status == 200 && body.hasPrefix("conn "), "request \(index): \(status) \(body)")
        }
        let stats = String(decoding: try Data(contentsOf: URL(string: "http://\(client):15000/stats")!), as: UTF8.self)
        func stat(_ name: String) -> Int {
            stats.split(separator: "\n").first { $0.hasPrefix(name + ": ") }.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
        }
        #expect(stat("cluster.outbound|\(draining)||draining.test.upstream_cx_close_notify") >= 3, "\(stats)")
        #expect(stat("cluster.outbound|\(refusing)||refusing.test.upstream_rq_refused_stream") >= 5, "\(stats)")
        #expect(stat("cluster.outbound|\(refusing)||refusing.test.upstream_rq_retry") >= 5, "\(stats)")
    }
}
