import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOPosix
import WeftHTTPServer
import WeftProxy

/// `weft run --netns`: a workload as a pod of its own network namespace (transparent mode). The
/// sidecar runs there as its own process in Istio's proxy group, the app beside it unmodified (no
/// proxy settings: iptables hands every connection to the sidecar, whose DNS answers service
/// names); the namespace and all it holds go when the pod stops.
struct NetnsPod {
    var workload: String
    var podName: String
    var namespace: String
    var labels: [String: String]
    var serviceAccount: String
    var ports: [Int]
    var withSidecar: Bool
    var annotations: [String: String]
    var range: AddressRange
    var discovery: (String, Int)
    /// The sidecar's event loops (Istio's concurrency).
    var concurrency: Int
    var tokenFile: String?
    var proxyLog: String?
    var logLevel: String
    var command: [String]
    var environment: [String: String]

    /// Runs the pod until its app exits; returns the app's status.
    func run() async throws -> Int32 {
        let rules = try withSidecar ? CaptureRules(annotations: annotations) : nil
        try PodNetwork.preflight(range: range, capture: withSidecar)
        let hostNameserver = Self.hostNameserver() ?? range.address(at: 1)
        let network = try PodNetwork.create(range: range, rules: rules, nameserver: hostNameserver)
        defer { network.remove() }
        try network.setSearchPath(namespace: namespace, nameserver: hostNameserver)
        var environment = self.environment
        let podName = self.podName.isEmpty ? workload : self.podName
        environment["HOSTNAME"] = podName
        environment["WEFT_POD_NAME"] = podName
        environment["WEFT_POD_IP"] = network.podIP
        // The app binds its ports on the pod's address (or any), as in a container.
        environment["WEFT_APP_ADDRESS"] = network.podIP
        environment["WEFT_NAMESPACE"] = namespace
        environment["WEFT_WORKLOAD_NAME"] = workload
        if let first = ports.first { environment["PORT"] = String(first) }
        for key in ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"] { environment.removeValue(forKey: key) }
        FileHandle.standardError.write(Data("weft run: pod \(podName) at \(network.podIP) (network namespace \(network.name))\n".utf8))

        var relay: DiscoveryRelay?
        var sidecar: AppProcess?
        var resolver: Task<Void, any Error>?
        defer { resolver?.cancel() }
        if withSidecar {
            relay = try await DiscoveryRelay(path: network.discoverySocket, to: discovery.0, port: discovery.1, group: MultiThreadedEventLoopGroup.singleton)
            let (task, dnsPort) = try await Self.startHostResolver(on: range.address(at: 1), upstream: Self.hostResolver(nameserver: hostNameserver))
            resolver = task
            let process = AppProcess(command: sidecarCommand(network, upstreamDNS: "\(range.address(at: 1)):\(dnsPort)"), environment: sidecarEnvironment(network))
            sidecar = process
            process.start()
            try await waitForSidecar(network.podIP, process: process)
        }
        guard !command.isEmpty else {
            // `weft proxy sidecar --netns`: the pod is the sidecar's alone; the user runs the app in it.
            FileHandle.standardOutput.write(Data("weft sidecar: pod \(network.podIP) in network namespace \(network.name); run the app with: ip netns exec \(network.name) COMMAND\n".utf8))
            let status = await sidecar?.waitForExit() ?? 0
            relay?.close()
            return status
        }
        let app = AppProcess(command: ["ip", "netns", "exec", network.name, "env", "--"] + command, environment: environment)
        app.start()
        // The pod ends with its app; a sidecar that dies first takes the app with it.
        let status = await withTaskGroup(of: Int32?.self) { group in
            group.addTask { await app.waitForExit() }
            if let sidecar { group.addTask { _ = await sidecar.waitForExit(); return nil } }
            let first = await group.next() ?? nil
            app.terminate()
            sidecar?.terminate()
            group.cancelAll()
            if let first { return first }
            return await app.waitForExit()
        }
        _ = await sidecar?.waitForExit()
        relay?.close()
        return status
    }

    private func sidecarCommand(_ network: PodNetwork, upstreamDNS: String) -> [String] {
        var arguments = ["ip", "netns", "exec", network.name, "setpriv", "--regid", "\(CaptureRules.proxyGroup)", "--clear-groups", "--",
                         Self.executable, "proxy", "sidecar", "--capture", "--pod-ip", network.podIP, "--name", workload,
                         "--id", "\(workload)-\(network.podIP).\(namespace)",
                         "--namespace", namespace, "--labels", labels.map { "\($0)=\($1)" }.sorted().joined(separator: ","),
                         "--service-account", serviceAccount, "--discovery-address", "\(discovery.0):\(discovery.1)", "--log-level", logLevel,
                         "--upstream-dns", upstreamDNS, "--concurrency", String(concurrency)]
        for port in ports { arguments += ["--port", String(port)] }
        if let tokenFile { arguments += ["--token-file", tokenFile] }
        if let log = RunCommand.accessLogFile(proxyLog, namespace: namespace, pod: podName.isEmpty ? workload : podName) { arguments += ["--proxy-log", log] }
        return arguments
    }

    private func sidecarEnvironment(_ network: PodNetwork) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["WEFT_DISCOVERY_SOCKET"] = network.discoverySocket
        // The pod's DNS forwards to the host's resolver; the sidecar's own lookups go the same way.
        environment.removeValue(forKey: "WEFT_DNS_SERVER")
        return environment
    }

    /// Waits (bounded) for the sidecar's readiness on its admin port, reached over the bridge.
    private func waitForSidecar(_ podIP: String, process: AppProcess) async throws {
        let client = HTTPClient()
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if process.hasExited { throw PodNetwork.Failure(description: "the sidecar exited before it was ready") }
            if let reply = try? await client.send(host: podIP, port: 15000, path: "/healthz/ready", timeout: .seconds(1)), reply.status == 200 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw PodNetwork.Failure(description: "the sidecar was not ready within 60 s")
    }

    /// The resolver names no service has go to: `WEFT_DNS_SERVER` (HOST:PORT), else the host's nameserver.
    static func hostResolver(nameserver: String) -> (host: String, port: Int) {
        ProcessInfo.processInfo.environment["WEFT_DNS_SERVER"].flatMap(HostPort.parse) ?? (nameserver, 53)
    }

    /// Forwards the pod's DNS questions to the host's resolver from the host's namespace (a pod has
    /// no route beyond the bridge), on the bridge address; returns the task and its port.
    static func startHostResolver(on address: String, upstream: (host: String, port: Int)) async throws -> (Task<Void, any Error>, Int) {
        let bound = NIOLockedValueBox<CheckedContinuation<Int, any Error>?>(nil)
        let forwarder = SidecarDNS.hostForwarder(host: address, port: 0, upstream: upstream, eventLoop: MultiThreadedEventLoopGroup.singleton.next(),
                                                 logger: Logger(label: "weft.run.dns")) { port in
            bound.withLockedValue { $0.take() }?.resume(returning: port)
        }
        var task: Task<Void, any Error>?
        let port = try await withCheckedThrowingContinuation { continuation in
            bound.withLockedValue { $0 = continuation }
            task = Task {
                do {
                    try await forwarder.run()
                } catch {
                    bound.withLockedValue { $0.take() }?.resume(throwing: error)
                }
            }
        }
        guard let task else { throw PodNetwork.Failure(description: "the pod's resolver did not start") }
        return (task, port)
    }

    /// This executable, to start the sidecar with.
    static var executable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// The host's first nameserver (`/etc/resolv.conf`).
    static func hostNameserver() -> String? {
        guard let text = try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 2, fields[0] == "nameserver", AddressRange("\(fields[1])/32") != nil { return String(fields[1]) }
        }
        return nil
    }
}
