import Foundation
import Testing

/// Envoy's response flags and code details in the access log, for the cases Envoy names them.
@Suite("Access log response flags", .serialized)
struct AccessLogFlagsTests {
    static let mesh = """
    accessLogFile: /dev/stdout
    accessLogEncoding: JSON
    accessLogFormat: '{"path": "%REQ(:PATH)%", "code": "%RESPONSE_CODE%", "flags": "%RESPONSE_FLAGS%", "details": "%RESPONSE_CODE_DETAILS%", "cluster": "%UPSTREAM_CLUSTER%"}'
    """

    static func routes(closedPort: Int) -> String {
        MeshFixtures.reviewsWithSubsets + "\n---\n" + """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews}
        spec:
          hosts: [reviews]
          http:
          - match: [{uri: {prefix: /abort}}]
            fault: {abort: {httpStatus: 503, percentage: {value: 100}}}
            route: [{destination: {host: reviews, subset: v1}}]
          - match: [{uri: {prefix: /delayed}}]
            fault: {delay: {fixedDelay: 50ms, percentage: {value: 100}}}
            route: [{destination: {host: reviews, subset: v1}}]
          - match: [{uri: {prefix: /slow}}]
            timeout: 0.3s
            route: [{destination: {host: reviews, subset: v1}}]
          - match: [{uri: {prefix: /empty}}]
            route: [{destination: {host: reviews, subset: v2}}]
          - match: [{uri: {prefix: /ok}}]
            route: [{destination: {host: reviews, subset: v1}}]
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: down}
        spec:
          hosts: [down.example.com]
          location: MESH_EXTERNAL
          resolution: STATIC
          ports: [{number: 80, name: http, protocol: HTTP}]
          endpoints: [{address: 127.0.0.1, ports: {http: \(closedPort)}}]
        """
    }

    @Test("FI, DI, UT, UH, NR, UF with URX after the default retries, DC for a client that leaves, and DPE for requests the codec refuses (400, 431): as Envoy logs them, with Envoy's code details")
    func flags() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("weft-flags-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        let closedPort = try FreePort.find()
        let applied = try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: AccessLogTests.configMap(Self.mesh) + "---\n" + Self.routes(closedPort: closedPort))
        #expect(applied.status == 0, "\(applied.stderr)")
        try mesh.startEcho(name: "reviews-v1", labels: "app=reviews,version=v1")
        let client = try mesh.startClient(environment: ["TMPDIR": directory.path])
        try mesh.waitForEndpoints(proxy: "client-", cluster: "outbound|9080|v1|reviews.default.svc.cluster.local", count: 1)
        let log = directory.appendingPathComponent("weft/default/client/istio-proxy.log")

        let cases: [(path: String, url: String, status: Int)] = [
            ("/abort", "http://reviews:9080/abort", 503),
            ("/delayed", "http://reviews:9080/delayed", 200),
            ("/slow/delay/1", "http://reviews:9080/slow/delay/1", 504),
            ("/empty", "http://reviews:9080/empty", 503),
            ("/nowhere", "http://reviews:9080/nowhere", 404),
            ("/refused", "http://down.example.com/refused", 503),
        ]
        for item in cases {
            let (status, body) = try mesh.curl(through: client, item.url)
            #expect(status == item.status, "\(item.url): \(status) \(body)")
        }
        // A client that gives up before the answer: Envoy's DC, no response code.
        _ = try WeftProcess.runTool("curl", ["-s", "-m", "0.3", "-x", "http://\(client):15001", "http://reviews:9080/ok/delay/1"])

        // Requests the codec refuses: bytes that are no request line, and headers past the limit.
        for payload in ["b'\\x00\\x01 not http\\r\\n\\r\\n'", "b'GET / HTTP/1.1\\r\\nhost: reviews\\r\\nx-big: ' + b'a' * 100000 + b'\\r\\n\\r\\n'"] {
            _ = try WeftProcess.runTool("python3", ["-c", """
            import socket
            s = socket.create_connection(("\(client)", 15001), timeout=5)
            try:
                s.sendall(\(payload))
                s.recv(4096)
            except OSError:
                pass
            """])
        }

        var entries: [String: [String: Any]] = [:]
        var refused: [[String: Any]] = []
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            refused = []
            for line in AccessLogTests.lines(log) {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
                if let path = object["path"] as? String { entries[path] = object } else { refused.append(object) }
            }
            if entries.count >= cases.count + 1 && refused.count >= 2 { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(refused.contains { $0["code"] as? Int == 400 && $0["flags"] as? String == "DPE" && $0["details"] as? String == "http1.codec_error" }
                && refused.contains { $0["code"] as? Int == 431 && $0["flags"] as? String == "DPE" && $0["details"] as? String == "http1.headers_too_large" }
                && refused.allSatisfy { $0["path"] is NSNull }, "requests the codec refused are logged without a request line: \(refused)")
        func expectEntry(_ path: String, code: Int, flags: String, details: String) {
            let entry = entries[path]
            #expect(entry?["code"] as? Int == code && entry?["flags"] as? String == flags && entry?["details"] as? String == details, "\(path): \(entry ?? [:])")
        }
        expectEntry("/abort", code: 503, flags: "FI", details: "fault_filter_abort")
        expectEntry("/delayed", code: 200, flags: "DI", details: "via_upstream")
        expectEntry("/slow/delay/1", code: 504, flags: "UT", details: "response_timeout")
        expectEntry("/empty", code: 503, flags: "UH", details: "no_healthy_upstream")
        expectEntry("/nowhere", code: 404, flags: "NR", details: "route_not_found")
        expectEntry("/refused", code: 503, flags: "UF,URX", details: "upstream_reset_before_response_started{connection_failure}")
        let left = entries["/ok/delay/1"]
        #expect(left?["code"] as? Int == 0 && left?["flags"] as? String == "DC", "\(left ?? [:])")
        #expect(entries["/abort"]?["cluster"] as? String == "outbound|9080|v1|reviews.default.svc.cluster.local", "a local answer after routing names the route's cluster")
    }

    @Test("a request whose first connect fails and is retried on the other endpoint is logged with the head that went out (its x-request-id), its two attempts and the endpoint that answered")
    func retriedFirstConnect() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("weft-retried-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        let (closedPort, port, address) = (try FreePort.find(), try FreePort.find(), ServiceEntryTests.loopbackAddress())
        _ = try ServiceEntryTests.startBackend(mesh, name: "live", address: address, port: port)
        let meshConfig = """
        accessLogFile: /dev/stdout
        accessLogEncoding: JSON
        accessLogFormat: '{"id": "%REQ(X-REQUEST-ID)%", "attempts": "%UPSTREAM_REQUEST_ATTEMPT_COUNT%", "host": "%UPSTREAM_HOST%", "code": "%RESPONSE_CODE%"}'
        """
        let applied = try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: AccessLogTests.configMap(meshConfig) + "---\n" + """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: retried}
        spec:
          hosts: [retried.example.com]
          location: MESH_EXTERNAL
          resolution: STATIC
          ports: [{number: 80, name: http, protocol: HTTP}]
          endpoints:
          - {address: 127.0.0.1, ports: {http: \(closedPort)}}
          - {address: \(address), ports: {http: \(port)}}
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: retried}
        spec:
          host: retried.example.com
          trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}
        """)
        #expect(applied.status == 0, "\(applied.stderr)")
        let client = try mesh.startClient(environment: ["TMPDIR": directory.path])
        try mesh.waitForEndpoints(proxy: "client-", cluster: "outbound|80||retried.example.com", count: 2)
        let log = directory.appendingPathComponent("weft/default/client/istio-proxy.log")

        // Round robin over a closed port and a live one: every other request connects to the closed
        // port first, and Istio's default retry (connect-failure, another host) takes it to the live one.
        var sent: [String] = []
        for _ in 0..<4 {
            let (status, body) = try mesh.curl(through: client, "http://retried.example.com/")
            let headers = (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?["headers"] as? [String: String]
            #expect(status == 200, "\(status) \(body)")
            if let id = headers?["x-request-id"] { sent.append(id) }
        }
        #expect(sent.count == 4, "the live endpoint saw an x-request-id on every request: \(sent)")
        let lines = try AccessLogTests.waitForLines(log, count: 4, mesh: mesh)
        let entries = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }.filter { $0["code"] as? Int == 200 }
        #expect(entries.count == 4, "\(lines)")
        let retried = entries.filter { $0["attempts"] as? Int == 2 }
        #expect(retried.count >= 1, "at least one request went to the closed port first: \(entries)")
        for entry in entries {
            #expect(sent.contains(entry["id"] as? String ?? "-"), "logged with the x-request-id the upstream got: \(entry), sent \(sent)")
            #expect(entry["host"] as? String == "\(address):\(port)", "the endpoint that answered: \(entry)")
        }
    }
}
