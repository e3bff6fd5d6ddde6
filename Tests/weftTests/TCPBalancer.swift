import Foundation

/// A real L4 load balancer for tests: HAProxy in TCP mode, one frontend on a free loopback port
/// (127.0.0.1) for each target, with the server options given (`send-proxy`, `send-proxy-v2`).
/// Runs in the foreground with the mesh's workloads and stops with them.
struct TCPBalancer {
    /// One listening port and where its connections go.
    struct Frontend {
        var name: String
        /// `host:port`.
        var target: String
        /// HAProxy `server` options.
        var options: String
    }

    static var available: Bool {
        ["/usr/sbin/haproxy", "/usr/bin/haproxy", "/usr/local/sbin/haproxy"].contains { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Each frontend's port, by name.
    let ports: [String: Int]
    private let directory: URL

    init(mesh: MeshHarness, frontends: [Frontend]) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("weft-haproxy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var ports: [String: Int] = [:]
        var text = """
            global
              maxconn 256
            defaults
              mode tcp
              timeout connect 5s
              timeout client 30s
              timeout server 30s

            """
        for frontend in frontends {
            let port = try FreePort.find()
            ports[frontend.name] = port
            text += """
                listen \(frontend.name)
                  bind 127.0.0.1:\(port)
                  server target \(frontend.target) \(frontend.options)

                """
        }
        self.ports = ports
        let file = directory.appendingPathComponent("haproxy.cfg")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["haproxy", "-db", "-f", file.path]
        try mesh.captureOutput(of: process, name: "haproxy")
        try process.run()
        mesh.adopt(process)
        let all = Array(ports.values)
        try mesh.waitUntil("HAProxy listens") { all.allSatisfy { !LoopbackSocket.canBind($0) } }
    }

    /// Removes its configuration (the process stops with the mesh's workloads).
    func remove() { try? FileManager.default.removeItem(at: directory) }
}
