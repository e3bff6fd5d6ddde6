import Foundation

/// A control plane with discovery, plus `weft run` workloads, all real processes on loopback.
final class MeshHarness {
    let controlPlane: ControlPlaneProcess
    private(set) var workloads: [Process] = []
    static let fixtures = WeftProcess.packageRoot.appendingPathComponent("Tests/Fixtures")
    /// Each workload's output (its sidecar's and its app's), one file per workload.
    let logDirectory: URL
    private var logs: [(name: String, file: URL)] = []

    init(dataDirectory: URL? = nil, discoveryPort: Int = 0, controlPlaneArguments: [String] = [], controlPlaneEnvironment: [String: String] = [:]) throws {
        controlPlane = try ControlPlaneProcess(dataDirectory: dataDirectory, discoveryPort: discoveryPort, arguments: controlPlaneArguments, environment: controlPlaneEnvironment)
        logDirectory = controlPlane.logFile.deletingLastPathComponent().appendingPathComponent("workloads")
        try FileManager.default.createDirectory(at: logDirectory, withIntermediateDirectories: true)
    }

    /// Every proxy started after this runs one event loop (a mesh-wide ProxyConfig). Upstream
    /// connection pools are per loop, as Envoy's are per worker: a test that counts the
    /// connections a proxy opens to reuse them runs one loop, so the count does not depend on
    /// which loop each client connection landed on.
    func oneLoopPerProxy() throws {
        let config = """
            apiVersion: networking.istio.io/v1beta1
            kind: ProxyConfig
            metadata: {name: one-loop, namespace: istio-system}
            spec: {concurrency: 1}
            """
        guard try controlPlane.weft(["apply", "-f", "-"], stdin: config).status == 0 else { throw failure("cannot apply the one-loop ProxyConfig") }
    }

    /// Sends a workload's output to a log file of its own, kept for `workloadOutput()`.
    func captureOutput(of process: Process, name: String) throws {
        let file = logDirectory.appendingPathComponent("\(name)-\(logs.count).log")
        _ = FileManager.default.createFile(atPath: file.path, contents: nil)
        let handle = try FileHandle(forWritingTo: file)
        process.standardOutput = handle
        process.standardError = handle
        logs.append((name, file))
    }

    /// The last lines of every workload's output and of the control plane's log: what a failed
    /// wait prints, and what the harness prints when a workload died on its own.
    func workloadOutput(lines: Int = 15) -> String {
        let files = logs + [("control plane", controlPlane.logFile)]
        return files.map { name, file in
            let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
            let tail = text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
            return "--- \(name) (\(file.path)):\n\(tail)"
        }.joined(separator: "\n")
    }

    /// Everything the workloads named `name` printed so far (sidecar and app).
    func output(of name: String) -> String {
        logs.filter { $0.name == name }.map { (try? String(contentsOf: $0.file, encoding: .utf8)) ?? "" }.joined(separator: "\n")
    }

    /// A harness failure, with what the workloads printed.
    func failure(_ description: String) -> ControlPlaneProcess.StartFailure {
        ControlPlaneProcess.StartFailure(description: description + "\n" + workloadOutput())
    }

    var environment: [String: String] {
        ["WEFT_CONTROL_PLANE": controlPlane.url, "WEFT_DISCOVERY_ADDRESS": controlPlane.discoveryAddress]
    }

    /// Starts the echo app as a workload with a sidecar.
    func startEcho(name: String, labels: String, port: Int = 9080, environment extra: [String: String] = [:], runArguments: [String] = []) throws {
        try startApp(name: name, labels: labels, port: port, command: ["python3", Self.fixtures.appendingPathComponent("echo_app.py").path],
                     environment: extra, runArguments: runArguments)
    }

    /// Starts `command` as a workload with a sidecar (`weft run`), with APP_NAME set to `name`.
    func startApp(name: String, labels: String, port: Int, command: [String], environment extra: [String: String] = [:], runArguments: [String] = []) throws {
        let process = Process()
        process.executableURL = WeftProcess.executable
        process.arguments = ["run", "--labels", labels, "--port", String(port), "--name", name] + runArguments + ["--"] + command
        var environment = ProcessInfo.processInfo.environment.merging(self.environment) { _, new in new }
        environment["APP_NAME"] = name
        environment.merge(extra) { _, new in new }
        process.environment = environment
        try captureOutput(of: process, name: name)
        try process.run()
        workloads.append(process)
    }

    /// Starts a long-lived client workload (its app only sleeps) and returns its pod IP, so a test can
    /// send requests through its sidecar even while new proxies could not get configuration.
    func startClient(name: String = "client", labels: String = "", namespace: String = "default", environment extra: [String: String] = [:]) throws -> String {
        let process = Process()
        process.executableURL = WeftProcess.executable
        process.arguments = ["run", "--labels", "app=\(name)" + (labels.isEmpty ? "" : "," + labels), "--name", name, "--namespace", namespace, "--", "sleep", "600"]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }.merging(extra) { _, new in new }
        try captureOutput(of: process, name: name)
        try process.run()
        workloads.append(process)
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let proxy = try? controlPlane.proxies().first(where: { $0.id.hasPrefix(name + "-") && $0.state == "SYNCED" }) { return proxy.podIP }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw failure("client \(name) did not become ready")
    }

    /// One request through a sidecar's outbound proxy with curl; returns (status, body).
    func curl(through podIP: String, _ url: String, headers: [String] = []) throws -> (Int, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["curl", "-s", "-m", "10", "-x", "http://\(podIP):15001", "-w", "\n%{http_code}"] + headers.flatMap { ["-H", $0] } + [url]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }

    /// Runs the mesh client as a short-lived workload and returns its per-workload counts.
    func client(_ url: String, count: Int, headers: [String] = []) throws -> (names: [String: Int], failures: [String: Int]) {
        let result = try WeftProcess.run(["run", "--labels", "app=client", "--name", "client", "--", "python3",
                                          Self.fixtures.appendingPathComponent("mesh_client.py").path, url, String(count)] + headers,
                                         environment: environment)
        guard result.status == 0, let line = result.stdout.split(separator: "\n").last,
              let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw failure("client failed (\(result.status)): \(result.stdout) \(result.stderr)")
        }
        return (object["names"] as? [String: Int] ?? [:], object["failures"] as? [String: Int] ?? [:])
    }

    /// Waits (bounded) until `count` sidecars are connected and SYNCED.
    func waitForProxies(_ count: Int, timeout: TimeInterval = 20) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let status = try controlPlane.weft(["proxy-status"])
            let synced = status.stdout.split(separator: "\n").filter { $0.hasSuffix("SYNCED") }.count
            if synced >= count { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw failure("proxies not synced within \(timeout) s: \(try controlPlane.weft(["proxy-status"]).stdout)")
    }

    /// Waits (bounded) until `proxy` (an id prefix) has `count` ready endpoints for `cluster`.
    func waitForEndpoints(proxy: String, cluster: String = "outbound|9080||reviews.default.svc.cluster.local", count: Int, timeout: TimeInterval = 20) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let id = try? controlPlane.proxies().map(\.id).first(where: { $0.hasPrefix(proxy) }),
               let group = try? controlPlane.configuration(of: id).endpoints.first(where: { $0.cluster == cluster }), group.endpoints.count >= count {
                return
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw failure("\(proxy) did not see \(count) endpoints of \(cluster) within \(timeout) s")
    }

    /// Waits (bounded) until `condition` holds, polling every 0.1 s.
    func waitUntil(_ what: String, timeout: TimeInterval = 20, _ condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw failure("not within \(timeout) s: \(what)")
    }

    /// Stops `process` with the other workloads.
    func adopt(_ process: Process) { workloads.append(process) }

    /// Starts an ingress router (`istio: ingressgateway` in istio-system) on a loopback address of
    /// its own, with the mesh's environment (so it reads its bootstrap from this control plane);
    /// returns the address. It stops with the workloads.
    func startIngressRouter() throws -> String {
        let address = "127.0.\(Int.random(in: 40...250)).\(Int.random(in: 2...250))"
        let router = Process()
        router.executableURL = WeftProcess.executable
        router.arguments = ["proxy", "router", "--address", address, "--namespace", "istio-system", "--labels", "istio=ingressgateway",
                            "--discovery-address", controlPlane.discoveryAddress]
        router.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        try captureOutput(of: router, name: "ingress")
        try router.run()
        adopt(router)
        return address
    }

    /// Starts `weft tracing` (a Zipkin collector of the user's own) on a free loopback port; returns the port.
    func startZipkinCollector() throws -> Int {
        let port = try FreePort.find()
        let collector = Process()
        collector.executableURL = WeftProcess.executable
        collector.arguments = ["tracing", "--address", "127.0.0.1:\(port)"]
        try captureOutput(of: collector, name: "collector")
        try collector.run()
        adopt(collector)
        return port
    }

    func stopWorkloads() {
        // A workload that ended on its own with an error is a failure the test may not see: say what it printed.
        if workloads.contains(where: { !$0.isRunning && $0.terminationStatus != 0 }) {
            print("mesh harness: a workload exited on its own with an error\n" + workloadOutput(lines: 40))
        }
        for process in workloads where process.isRunning { process.terminate() }
        let deadline = Date().addingTimeInterval(10)
        while workloads.contains(where: \.isRunning) && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        for process in workloads where process.isRunning { kill(process.processIdentifier, SIGKILL) }
        workloads = []
    }

    deinit {
        stopWorkloads()
        controlPlane.stop()
    }
}
