import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Transparent-mode pods for tests: `weft run --netns` workloads of one control plane, commands
/// run inside a pod as `kubectl exec` would (`ip netns exec`), and the sidecars' admin pages
/// read over the host bridge.
final class TransparentPods {
    /// One running pod.
    struct Pod {
        var name: String
        var namespace: String
        var ip: String
        var process: Process
    }

    /// What a command in a pod printed and returned.
    struct Output: CustomStringConvertible {
        var status: Int32
        var output: String
        var description: String { "exit \(status): \(output)" }
    }

    let mesh: MeshHarness
    /// The host's resolver as the pods' sidecars see it (a DNS server of the test's).
    let hostDNS: TestDNSServer

    /// Root, with the tools transparent mode needs.
    static var available: Bool {
        geteuid() == 0 && ["ip", "iptables", "iptables-restore", "setpriv", "redis-server"].allSatisfy { tool in
            ["/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/"].contains { FileManager.default.isExecutableFile(atPath: $0 + tool) }
        }
    }

    init() throws {
        mesh = try MeshHarness()
        hostDNS = try TestDNSServer(directory: mesh.logDirectory, records: ["external.test": "203.0.113.7"])
    }

    func apply(_ yaml: String) throws {
        let result = try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: yaml)
        guard result.status == 0 else { throw mesh.failure("apply failed: \(result.stderr)") }
    }

    /// Starts a pod (`weft run --netns`) and waits until it has its namespace and, with a sidecar, the sidecar is SYNCED.
    func start(_ name: String, labels: String = "", ports: [Int] = [], deployment: String? = nil, command: [String], sidecar: Bool = true) throws -> Pod {
        let process = Process()
        process.executableURL = WeftProcess.executable
        var arguments = ["run", "--netns", "--name", name, "--log-level", "info"]
        if !labels.isEmpty { arguments += ["--labels", labels] }
        for port in ports { arguments += ["--port", String(port)] }
        if let deployment { arguments += ["--deployment", deployment] }
        if !sidecar { arguments.append("--no-sidecar") }
        process.arguments = arguments + ["--"] + command
        process.environment = ProcessInfo.processInfo.environment.merging(mesh.environment) { _, new in new }
            .merging(["APP_NAME": name]) { _, new in new }.merging(hostDNS.environment) { _, new in new }
        try mesh.captureOutput(of: process, name: name)
        try process.run()
        mesh.adopt(process)
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let output = mesh.output(of: name)
            if let range = output.range(of: #"pod \S+ at ([0-9.]+) \(network namespace (weft-[0-9-]+)\)"#, options: .regularExpression) {
                let words = output[range].split(separator: " ")
                let ip = String(words[3])
                let namespace = String(words[6].dropLast())
                if !sidecar || (try? mesh.controlPlane.proxies().contains { $0.id.hasPrefix("\(name)-\(ip)") && $0.state == "SYNCED" }) == true {
                    return Pod(name: name, namespace: namespace, ip: ip, process: process)
                }
            }
            guard process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw mesh.failure("pod \(name) did not start")
    }

    /// Runs `script` with `sh -c` inside the pod's network namespace (with its resolv.conf), as its app would.
    func exec(_ pod: Pod, _ script: String) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ip", "netns", "exec", pod.namespace, "sh", "-c", script]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    /// curl from the host (over the bridge, as a caller outside every pod).
    func hostCurl(_ url: String) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["curl", "-s", "-m", "5", "--noproxy", "*", url]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    /// Waits (bounded) until the pod's app answers on `port` through its sidecar.
    func waitForApp(_ pod: Pod, port: Int) throws {
        try waitUntil("\(pod.name)'s app answers on \(port)") { (try? hostCurl("http://\(pod.ip):\(port)/ready").output)?.contains("\"path\": \"/ready\"") == true }
    }

    func stats(of pod: Pod) throws -> String {
        String(decoding: try Data(contentsOf: URL(string: "http://\(pod.ip):15000/stats")!), as: UTF8.self)
    }

    func waitUntil(_ what: String, timeout: TimeInterval = 30, _ condition: () -> Bool) throws {
        try mesh.waitUntil(what, timeout: timeout, condition)
    }

    func stop() {
        mesh.stopWorkloads()
        hostDNS.stop()
    }
}
