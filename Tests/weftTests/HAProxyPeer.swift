import Foundation

/// HAProxy as a real peer of the mesh: in TCP mode an L4 load balancer in front of a gateway
/// (`send-proxy`, `send-proxy-v2`), in HTTP mode an upstream that takes PROXY protocol
/// (`accept-proxy`) and answers with the client the header named. One listener on a free
/// loopback port (127.0.0.1) each; runs in the foreground with the mesh's workloads, stops with them.
struct HAProxyPeer {
    /// One listening port: the options of its `bind` and what it does with a connection.
    struct Listener {
        var name: String
        var bindOptions = ""
        var lines: [String]

        /// TCP mode: every connection on to `target` (`host:port`) with the `server` options given.
        static func forwarding(_ name: String, to target: String, options: String) -> Listener {
            Listener(name: name, lines: ["mode tcp", "server target \(target) \(options)"])
        }

        /// HTTP mode behind `bindOptions` (`accept-proxy`, `accept-proxy ssl crt FILE`): every
        /// request answered 200 with `client SRC:PORT to DST:PORT`, the addresses HAProxy took for the
        /// connection (a PROXY header's when one came).
        static func answeringClient(_ name: String, bindOptions: String) -> Listener {
            Listener(name: name, bindOptions: bindOptions,
                     lines: ["mode http", #"http-request return status 200 content-type text/plain lf-string "client %[src]:%[src_port] to %[dst]:%[dst_port]""#])
        }
    }

    static var available: Bool {
        ["/usr/sbin/haproxy", "/usr/bin/haproxy", "/usr/local/sbin/haproxy"].contains { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Each listener's port, by name.
    let ports: [String: Int]
    private let directory: URL

    init(mesh: MeshHarness, listeners: [Listener]) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("weft-haproxy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var ports: [String: Int] = [:]
        var text = """
            global
              maxconn 256
            defaults
              timeout connect 5s
              timeout client 30s
              timeout server 30s

            """
        for listener in listeners {
            let port = try FreePort.find()
            ports[listener.name] = port
            text += "listen \(listener.name)\n  bind 127.0.0.1:\(port) \(listener.bindOptions)\n" + listener.lines.map { "  \($0)\n" }.joined() + "\n"
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
