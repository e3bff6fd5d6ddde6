import ArgumentParser
import Foundation
import Logging
import NIOConcurrencyHelpers
import UnixSignals

/// `weft run`: a workload (Istio's pod) on this host: its sidecar first, then the app.
struct RunCommand: AsyncParsableCommand, RunsUntilStopped {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a command as a mesh workload: sidecar first, the app once it is ready; exits with the app's status."
    )

    @Option(name: [.customShort("n"), .long], help: "Namespace.")
    var namespace: String = "default"

    @Option(help: "Labels, k=v,k2=v2.")
    var labels: String = ""

    @Option(name: .customLong("service-account"), help: "Service account.")
    var serviceAccount: String?

    @Option(name: .customLong("port"), help: "A container port (repeatable); the first is $PORT.")
    var ports: [Int] = []

    @Option(help: "Take labels, service account and ports from this applied Deployment.")
    var deployment: String?

    @Option(help: "Workload name (default: the deployment's or the command's).")
    var name: String?

    @Flag(name: .customLong("no-sidecar"), help: "Run without a sidecar: the app binds its pod IP directly.")
    var noSidecar = false

    @Flag(name: .customLong("netns"), help: "Transparent mode (root): the pod gets its own network namespace and address, iptables hands every connection to the sidecar, service names resolve through it; the app needs no proxy settings.")
    var netns = false

    @Option(name: .customLong("netns-range"), help: "Transparent mode's pod addresses (CIDR; the host bridge takes the first). Default: 198.18.0.0/15.")
    var netnsRange: String = PodNetwork.defaultRange

    @Option(name: .customLong("discovery-address"), help: "Discovery address, HOST:PORT (default $WEFT_DISCOVERY_ADDRESS or 127.0.0.1:15010).")
    var discoveryAddress: String?

    @Option(name: .customLong("token-file"), help: "The credential the sidecar asks for its certificate with (weft token create); given, it is the only one used.")
    var tokenFile: String?

    @Option(name: .customLong("proxy-log"), help: "Where the sidecar's /dev/stdout access log is written (Istio's istio-proxy container log); default: $TMPDIR/weft/NAMESPACE/POD/istio-proxy.log, '-' for this terminal.")
    var proxyLog: String?

    @Option(name: .customLong("log-level"), help: "Sidecar log level.")
    var logLevel: String = "warning"

    @OptionGroup var controlPlane: ControlPlaneOptions

    @Argument(parsing: .postTerminator, help: "The command to run, after --.")
    var command: [String] = []

    mutating func validate() throws {
        if command.isEmpty { throw ValidationError("give the command after --, e.g. weft run --port 8080 -- python3 app.py") }
    }

    mutating func run() async throws {
        var labelMap = LabelList.parse(labels)
        var account = serviceAccount ?? "default"
        var containerPorts = ports
        var withSidecar = !noSidecar
        var templateEnvironment: [String: String] = [:]
        var annotations: [String: String] = [:]
        if let deployment {
            let spec = try await DeploymentLookup.fetch(deployment, namespace: namespace, client: controlPlane.client)
            labelMap = spec.labels.merging(labelMap) { _, explicit in explicit }
            if serviceAccount == nil { account = spec.serviceAccount }
            if containerPorts.isEmpty { containerPorts = spec.ports }
            if spec.injectDisabled { withSidecar = false }
            templateEnvironment = spec.environment
            annotations = spec.annotations
        }
        if withSidecar, await DeploymentLookup.injectionDisabled(namespace: namespace, client: controlPlane.client) { withSidecar = false }
        let workload = name ?? deployment ?? URL(fileURLWithPath: command[0]).lastPathComponent
        if netns {
            guard let range = AddressRange(netnsRange) else { throw ValidationError("--netns-range must be an IPv4 CIDR such as 198.18.0.0/15, got \"\(netnsRange)\"") }
            guard let discovery = HostPort.parse(discoveryAddress ?? ProcessInfo.processInfo.environment["WEFT_DISCOVERY_ADDRESS"] ?? "127.0.0.1:15010") else {
                throw ValidationError("--discovery-address must be HOST:PORT")
            }
            let environment = ProcessInfo.processInfo.environment.merging(templateEnvironment) { _, template in template }
            let pod = NetnsPod(workload: workload, podName: deployment.map { "\($0)-\(PodAddress.nameSuffix(for: String(UInt64.random(in: 0...UInt64.max))))" } ?? workload,
                               namespace: namespace, labels: labelMap, serviceAccount: account, ports: containerPorts, withSidecar: withSidecar,
                               annotations: annotations, range: range, discovery: discovery,
                               concurrency: await ProxyConcurrency.resolve(namespace: namespace, labels: labelMap, annotations: annotations, client: controlPlane.client),
                               tokenFile: tokenFile, proxyLog: proxyLog, logLevel: logLevel,
                               command: command, environment: environment)
            do {
                throw ExitCode(try await pod.run())
            } catch let failure as PodNetwork.Failure {
                FileHandle.standardError.write(Data("weft run: \(failure)\n".utf8))
                throw ExitCode(1)
            } catch let failure as CaptureRules.InvalidAnnotation {
                FileHandle.standardError.write(Data("weft run: Deployment \(namespace)/\(deployment ?? workload): \(failure)\n".utf8))
                throw ExitCode(1)
            } catch let failure as Shell.CommandFailed {
                FileHandle.standardError.write(Data("weft run: \(failure)\n".utf8))
                throw ExitCode(1)
            }
        }
        let lease = try PodAddress.allocate()
        let appAddress = withSidecar ? lease.appAddress : lease.podIP
        // Like a pod: the template's env, and a pod name (`reviews-v2-x7k2q`) as HOSTNAME.
        var environment = ProcessInfo.processInfo.environment.merging(templateEnvironment) { _, template in template }
        let podName = deployment.map { "\($0)-\(PodAddress.nameSuffix(for: lease.podIP))" } ?? workload
        environment["HOSTNAME"] = podName
        environment["WEFT_POD_NAME"] = podName
        environment["WEFT_POD_IP"] = lease.podIP
        environment["WEFT_APP_ADDRESS"] = appAddress
        environment["WEFT_NAMESPACE"] = namespace
        environment["WEFT_WORKLOAD_NAME"] = workload
        if let first = containerPorts.first { environment["PORT"] = String(first) }
        if withSidecar {
            let proxy = "http://\(lease.podIP):15001"
            environment["HTTP_PROXY"] = proxy
            environment["http_proxy"] = proxy
            // https:// URLs (curl, Python, Go, Java) tunnel through the same listener with CONNECT.
            environment["HTTPS_PROXY"] = proxy
            environment["https_proxy"] = proxy
            let noProxy = "localhost,127.0.0.1,\(lease.podIP),\(appAddress)"
            environment["NO_PROXY"] = noProxy
            environment["no_proxy"] = noProxy
        }
        let app = AppProcess(command: command, environment: environment)
        guard withSidecar else {
            let status = try await app.runToCompletion()
            withExtendedLifetime(lease) {}
            throw ExitCode(status)
        }
        guard let discovery = HostPort.parse(discoveryAddress ?? ProcessInfo.processInfo.environment["WEFT_DISCOVERY_ADDRESS"] ?? "127.0.0.1:15010") else {
            throw ValidationError("--discovery-address must be HOST:PORT")
        }
        var logger = Logger(label: "weft.run")
        let accessLogFile = Self.accessLogFile(proxyLog, namespace: namespace, pod: podName)
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .warning
        var host = SidecarHost(podIP: lease.podIP, appAddress: appAddress, ports: containerPorts, proxyID: "\(workload)-\(lease.podIP).\(namespace)",
                               workloadName: workload, namespace: namespace, labels: labelMap, serviceAccount: account, discovery: discovery,
                               tokenFile: tokenFile, accessLogFile: accessLogFile, logger: logger)
        host.concurrency = await ProxyConcurrency.resolve(namespace: namespace, labels: labelMap, annotations: annotations, client: controlPlane.client)
        // The app starts only once the sidecar is ready; the sidecar stops once the app has exited.
        // When the sidecar stops first (SIGTERM/SIGINT drained it) the app goes too, never left orphaned.
        try await host.run(onReady: { app.start() }, until: { _ = await app.waitForExit() }, onStop: { app.terminate() })
        let status = await app.waitForExit()
        withExtendedLifetime(lease) {}
        throw ExitCode(status)
    }
}

extension RunCommand {
    /// The file the sidecar's `/dev/stdout` goes to: kept apart from the app's own output, as
    /// `kubectl logs POD -c istio-proxy` is apart from the app container's log.
    /// (Its directory is made when the first line is logged.)
    static func accessLogFile(_ option: String?, namespace: String, pod: String) -> String? {
        if option == "-" { return nil }
        if let option { return option }
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        return URL(fileURLWithPath: base).appendingPathComponent("weft").appendingPathComponent(namespace)
            .appendingPathComponent(pod).appendingPathComponent("istio-proxy.log").path
    }
}

/// Passes SIGINT and SIGTERM on to the app (the sidecar's service group drains on its own).
enum SignalForwarding {
    static func install(_ forward: @escaping @Sendable (Int32) -> Void) {
        Task.detached {
            for await signal in await UnixSignalsSequence(trapping: .sigterm, .sigint) {
                forward(signal.rawValue)
            }
        }
    }
}

/// What `weft run --deployment` reads from an applied Deployment (and its namespace).
enum DeploymentLookup {
    /// The parts of a pod template a workload needs.
    struct Spec {
        var labels: [String: String]
        var serviceAccount: String
        var ports: [Int]
        var injectDisabled: Bool
        /// The containers' literal `env` values (name → value).
        var environment: [String: String]
        /// The pod template's annotations (`traffic.sidecar.istio.io/*` for transparent mode).
        var annotations: [String: String] = [:]
    }

    /// Thrown when the Deployment cannot be read.
    struct Missing: Error, CustomStringConvertible { var description: String }

    static func fetch(_ name: String, namespace: String, client: ControlPlaneClient) async throws -> Spec {
        let reply = try await client.send("GET", "/api/v1/resources", query: ["kind": "Deployment", "namespace": namespace, "name": name])
        guard let object = (reply.object["items"] as? [[String: Any]])?.first?["object"] as? [String: Any] else {
            throw Missing(description: "Deployment \(namespace)/\(name) is not applied")
        }
        let template = (object["spec"] as? [String: Any])?["template"] as? [String: Any] ?? [:]
        let metadata = template["metadata"] as? [String: Any] ?? [:]
        let podSpec = template["spec"] as? [String: Any] ?? [:]
        let containers = podSpec["containers"] as? [[String: Any]] ?? []
        let ports = containers.flatMap { ($0["ports"] as? [[String: Any]] ?? []).compactMap { $0["containerPort"] as? Int } }
        let annotations = metadata["annotations"] as? [String: String] ?? [:]
        let labels = metadata["labels"] as? [String: String] ?? [:]
        var environment: [String: String] = [:]
        for variable in containers.flatMap({ $0["env"] as? [[String: Any]] ?? [] }) {
            if let name = variable["name"] as? String { environment[name] = variable["value"] as? String ?? "" }
        }
        return Spec(labels: labels, serviceAccount: podSpec["serviceAccountName"] as? String ?? "default", ports: ports,
                    injectDisabled: annotations["sidecar.istio.io/inject"] == "false" || labels["sidecar.istio.io/inject"] == "false",
                    environment: environment, annotations: annotations)
    }

    /// `istio-injection=disabled` on the namespace turns the sidecar off, as in Istio.
    static func injectionDisabled(namespace: String, client: ControlPlaneClient) async -> Bool {
        guard let reply = try? await client.send("GET", "/api/v1/resources", query: ["kind": "Namespace", "name": namespace]),
              let object = (reply.object["items"] as? [[String: Any]])?.first?["object"] as? [String: Any],
              let labels = (object["metadata"] as? [String: Any])?["labels"] as? [String: String] else { return false }
        return labels["istio-injection"] == "disabled"
    }
}
