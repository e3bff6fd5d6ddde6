import Foundation
import Testing

/// Malformed and oversized requests get Envoy's answers from a real sidecar, counted in its stats.
@Suite("bad input on the data path")
struct BadInputTests {
    /// A sidecar with no control plane: its listeners are up (not ready), which is all these answers
    /// need. Returns once its admin page answers (bounded).
    static func standaloneSidecar(environment: [String: String] = [:]) throws -> (Process, String) {
        let podIP = "127.0.\(Int.random(in: 40...250)).\(Int.random(in: 2...250))"
        let sidecar = Process()
        sidecar.executableURL = WeftProcess.executable
        sidecar.arguments = ["proxy", "sidecar", "--pod-ip", podIP, "--discovery-address", "127.0.0.1:9"]
        sidecar.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        sidecar.standardOutput = FileHandle.nullDevice
        sidecar.standardError = FileHandle.nullDevice
        try sidecar.run()
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline, (try? Data(contentsOf: URL(string: "http://\(podIP):15000/stats")!)) == nil { Thread.sleep(forTimeInterval: 0.02) }
        return (sidecar, podIP)
    }

    @Test("malformed request 400, headers past 60 KiB 431, both counted; the sidecar keeps serving")
    func badRequests() throws {
        let (sidecar, podIP) = try Self.standaloneSidecar()
        defer { sidecar.terminate(); sidecar.waitUntilExit() }

        let malformed = try RawHTTP.send("GARBAGE\r\n\r\n", to: podIP, port: 15001)
        #expect(malformed.hasPrefix("HTTP/1.1 400"), "\(malformed)")
        let big = String(repeating: "a", count: 70 * 1024)
        let oversized = try RawHTTP.send("GET http://reviews:9080/ HTTP/1.1\r\nHost: reviews:9080\r\nx-big: \(big)\r\n\r\n", to: podIP, port: 15001)
        #expect(oversized.hasPrefix("HTTP/1.1 431"), "\(oversized.prefix(100))")
        let stats = String(decoding: try Data(contentsOf: URL(string: "http://\(podIP):15000/stats")!), as: UTF8.self)
        #expect(stats.contains("downstream_rq_malformed: 1"), "\(stats)")
        #expect(stats.contains("downstream_rq_header_overflow: 1"), "\(stats)")
        // Still alive and answering.
        #expect(try RawHTTP.send("GET /x HTTP/1.1\r\nHost: nowhere.invalid\r\nConnection: close\r\n\r\n", to: podIP, port: 15001).hasPrefix("HTTP/1.1"))
    }

    @Test("requests whose framing could be read two ways, and heads HTTP/1.1 does not allow, are refused 400 (no smuggling past the proxy)")
    func ambiguousRequests() throws {
        let (sidecar, podIP) = try Self.standaloneSidecar()
        defer { sidecar.terminate(); sidecar.waitUntilExit() }
        let requests = [
            "POST http://reviews:9080/ HTTP/1.1\r\nHost: reviews:9080\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "POST http://reviews:9080/ HTTP/1.1\r\nHost: reviews:9080\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde",
            "POST http://reviews:9080/ HTTP/1.1\r\nHost: reviews:9080\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
            "GET http://reviews:9080/ HTTP/1.1\r\nHost : reviews:9080\r\n\r\n",
            "GET http://reviews:9080/ HTTP/1.1\r\nHost: reviews:9080\r\n x-folded: yes\r\n\r\n",
            "GET http://reviews:9080/ HTTP/1.1\nHost: reviews:9080\n\n",
            "GET http://reviews:9080/ HTTP/1.1\r\nHost: reviews:9080\r\nX-Nul: a\u{0}b\r\n\r\n",
        ]
        for request in requests {
            let answer = try RawHTTP.send(request, to: podIP, port: 15001)
            #expect(answer.hasPrefix("HTTP/1.1 400"), "\(request.debugDescription): \(answer.prefix(200))")
        }
        let stats = String(decoding: try Data(contentsOf: URL(string: "http://\(podIP):15000/stats")!), as: UTF8.self)
        #expect(stats.contains("downstream_rq_malformed: \(requests.count)"), "\(stats)")
    }

    @Test("a client that stalls in its headers gets 408 once the request headers timeout passes, counted")
    func stalledHeaders() throws {
        let (sidecar, podIP) = try Self.standaloneSidecar(environment: ["WEFT_REQUEST_HEADERS_TIMEOUT": "0.3"])
        defer { sidecar.terminate(); sidecar.waitUntilExit() }

        // The request line and one header, then nothing: the headers never end.
        let stalled = try RawHTTP.send("GET http://reviews:9080/ HTTP/1.1\r\nHost: reviews:9080\r\n", to: podIP, port: 15001)
        #expect(stalled.hasPrefix("HTTP/1.1 408"), "\(stalled)")
        let stats = String(decoding: try Data(contentsOf: URL(string: "http://\(podIP):15000/stats")!), as: UTF8.self)
        #expect(stats.contains("downstream_rq_header_timeout: 1"), "\(stats)")
        // A whole request on a fresh connection is not affected.
        #expect(try RawHTTP.send("GET /x HTTP/1.1\r\nHost: nowhere.invalid\r\nConnection: close\r\n\r\n", to: podIP, port: 15001).hasPrefix("HTTP/1.1 "))
    }

    @Test("the headers timeout runs per head: whole requests on one connection for longer than the timeout are never cut; a later head that stalls gets 408")
    func headersTimeoutPerHead() throws {
        let (sidecar, podIP) = try Self.standaloneSidecar(environment: ["WEFT_REQUEST_HEADERS_TIMEOUT": "0.3"])
        defer { sidecar.terminate(); sidecar.waitUntilExit() }
        // One connection: whole requests (answered 404 NR) until 0.9 s have passed, three timeouts'
        // worth, then a head that never ends. Prints each answer's status line.
        let script = """
        import socket, sys, time
        s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
        buffered = b""
        def answer():
            global buffered
            while b"\\r\\n\\r\\n" not in buffered:
                chunk = s.recv(65536)
                if not chunk: return "closed"
                buffered += chunk
            head, _, rest = buffered.partition(b"\\r\\n\\r\\n")
            length = 0
            for line in head.split(b"\\r\\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length": length = int(value)
            while len(rest) < length:
                chunk = s.recv(65536)
                if not chunk: break
                rest += chunk
            buffered = rest[length:]
            return head.split(b"\\r\\n")[0].decode()
        start = time.monotonic()
        while time.monotonic() - start < 0.9:
            s.sendall(b"GET /x HTTP/1.1\\r\\nHost: nowhere.invalid\\r\\n\\r\\n")
            print(answer())
        s.sendall(b"GET /y HTTP/1.1\\r\\nHost: nowhere.invalid\\r\\n")
        print("stalled " + answer())
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, podIP, "15001"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let lines = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n")
        process.waitUntilExit()
        let whole = lines.filter { !$0.hasPrefix("stalled") }
        #expect(whole.count >= 5 && whole.allSatisfy { $0.hasPrefix("HTTP/1.1 404") }, "\(lines)")
        #expect(lines.last?.hasPrefix("stalled HTTP/1.1 408") == true, "\(lines)")
        let stats = String(decoding: try Data(contentsOf: URL(string: "http://\(podIP):15000/stats")!), as: UTF8.self)
        #expect(stats.contains("downstream_rq_header_timeout: 1"), "\(stats)")
    }

    @Test("upstreams that refuse, reset or send garbage: 503 UF, 503 UC and 502 UPE, counted per cluster")
    func badUpstreams() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        let address = "127.0.\(Int.random(in: 40...250)).\(Int.random(in: 2...250))"
        let base = Int.random(in: 41000...49000)
        let (garbagePort, resetPort, refusedPort) = (base, base + 1, base + 2)
        let upstream = Process()
        upstream.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        upstream.arguments = ["python3", MeshHarness.fixtures.appendingPathComponent("bad_upstream.py").path, address, String(garbagePort), String(resetPort)]
        let ready = Pipe()
        upstream.standardOutput = ready
        try upstream.run()
        defer { kill(upstream.processIdentifier, SIGKILL); upstream.waitUntilExit() }
        #expect(String(decoding: ready.fileHandleForReading.availableData, as: UTF8.self).hasPrefix("ready"))

        func serviceEntry(_ host: String, _ port: Int) -> String {
            """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: \(host.split(separator: ".")[0])}
            spec:
              hosts: [\(host)]
              location: MESH_EXTERNAL
              resolution: STATIC
              ports: [{number: \(port), name: http, protocol: HTTP}]
              endpoints: [{address: \(address)}]
            """
        }
        let yaml = [serviceEntry("garbage.test", garbagePort), serviceEntry("reset.test", resetPort), serviceEntry("refused.test", refusedPort)].joined(separator: "\n---\n")
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: yaml).status == 0)
        let client = try mesh.startClient()
        try mesh.waitForEndpoints(proxy: "client", cluster: "outbound|\(refusedPort)||refused.test", count: 1)

        #expect(try mesh.curl(through: client, "http://garbage.test:\(garbagePort)/").0 == 502)
        #expect(try mesh.curl(through: client, "http://reset.test:\(resetPort)/").0 == 503)
        #expect(try mesh.curl(through: client, "http://refused.test:\(refusedPort)/").0 == 503)

        let stats = String(decoding: try Data(contentsOf: URL(string: "http://\(client):15000/stats")!), as: UTF8.self)
        for line in ["cluster.outbound|\(garbagePort)||garbage.test.upstream_cx_protocol_error: 1", "cluster.outbound|\(garbagePort)||garbage.test.upstream_rq_502: 1",
                     "cluster.outbound|\(resetPort)||reset.test.upstream_cx_destroy_remote_with_active_rq: 1",
                     // Istio's default retry policy tries a refused connection twice more.
                     "cluster.outbound|\(refusedPort)||refused.test.upstream_cx_connect_fail: 3",
                     "cluster.outbound|\(refusedPort)||refused.test.upstream_rq_retry: 2",
                     "local_reply_UPE: 1", "local_reply_UC: 1", "local_reply_UF: 1"] {
            #expect(stats.contains(line), "\(line) in \(stats)")
        }
        let prometheus = String(decoding: try Data(contentsOf: URL(string: "http://\(client):15000/stats/prometheus")!), as: UTF8.self)
        #expect(prometheus.contains("envoy_cluster_upstream_cx_connect_fail{cluster_name=\"outbound|\(refusedPort)||refused.test\"} 3"), "\(prometheus)")
    }
}

/// Writes raw bytes to a TCP port and reads the reply (bounded), to send what no client would.
enum RawHTTP {
    static func send(_ text: String, to host: String, port: Int) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let script = """
        import socket, sys
        s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
        s.sendall(sys.stdin.buffer.read())
        data = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk: break
                data += chunk
                if b"\\r\\n\\r\\n" in data: break
        except Exception:
            pass
        sys.stdout.buffer.write(data)
        """
        process.arguments = ["python3", "-c", script, host, String(port)]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        try? input.fileHandleForWriting.write(contentsOf: Data(text.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
