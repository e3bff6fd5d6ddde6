import Foundation
import Testing

/// Malformed and oversized requests get Envoy's answers from a real sidecar, counted in its stats.
@Suite("bad input on the data path")
struct BadInputTests {
    @Test("malformed request 400, headers past 60 KiB 431, both counted; the sidecar keeps serving")
    func badRequests() throws {
        let podIP = "127.0.\(Int.random(in: 40...250)).\(Int.random(in: 2...250))"
        let sidecar = Process()
        sidecar.executableURL = WeftProcess.executable
        // No control plane: the listeners are up (not ready), which is all these answers need.
        sidecar.arguments = ["proxy", "sidecar", "--pod-ip", podIP, "--discovery-address", "127.0.0.1:9"]
        sidecar.standardOutput = FileHandle.nullDevice
        sidecar.standardError = FileHandle.nullDevice
        try sidecar.run()
        defer { sidecar.terminate(); sidecar.waitUntilExit() }
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline, (try? Data(contentsOf: URL(string: "http://\(podIP):15000/stats")!)) == nil { Thread.sleep(forTimeInterval: 0.02) }

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
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
