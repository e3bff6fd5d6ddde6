import Foundation
import Testing

/// How the client's sidecar treats an HTTP/2 upstream that ends connections and refuses streams,
/// with a real h2 server (the h2 package) outside the mesh, reached through a ServiceEntry whose
/// port says HTTP2.
@Suite("HTTP/2 upstream connections", .serialized, .enabled(if: HTTP2Tests.hasH2, "the h2 package is not installed (.ci/run installs it from PyPI)"))
struct HTTP2UpstreamTests {
    /// Starts the fixture in `mode` and returns its port.
    static func startUpstream(_ mode: String, mesh: MeshHarness) throws -> Int {
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // SIGTERM reset: the test runner ignores it, and an ignored signal survives exec.
        server.arguments = ["--default-signal=TERM", "python3", MeshHarness.fixtures.appendingPathComponent("h2_upstream.py").path, "0", mode]
        let output = Pipe()
        server.standardOutput = output
        try server.run()
        mesh.adopt(server)
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return try #require(Int(line), "the h2 upstream did not start: \(line)")
    }

    static func entry(_ host: String, port: Int) -> String {
        """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: \(host.replacingOccurrences(of: ".", with: "-"))}
        spec:
          hosts: [\(host)]
          resolution: STATIC
          ports: [{number: \(port), name: http2, protocol: HTTP2}]
          endpoints: [{address: 127.0.0.1}]
        """
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
