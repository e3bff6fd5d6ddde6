import ArgumentParser
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import WeftAPI
import WeftModel
import WeftProxy
import WeftTelemetry

/// `weft proxy sidecar|router`: the data plane processes.
struct ProxyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy",
        abstract: "Run a proxy: a sidecar beside a workload (started by weft run), or a gateway router.",
        subcommands: [SidecarCommand.self, RouterCommand.self]
    )
}

/// Identity and discovery flags shared by the proxy commands.
struct ProxyIdentityOptions: ParsableArguments {
    @Option(help: "Namespace of the workload.")
    var namespace: String = "default"

    @Option(help: "Labels, k=v,k2=v2.")
    var labels: String = ""

    @Option(name: .customLong("service-account"), help: "Service account (the SPIFFE identity's sa).")
    var serviceAccount: String = "default"

    @Option(name: .customLong("discovery-address"), help: "The control plane's discovery address, HOST:PORT (default $WEFT_DISCOVERY_ADDRESS or 127.0.0.1:15010).")
    var discoveryAddress: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "warning"

    @Option(name: .customLong("token-file"), help: "The credential to ask for certificates with (weft token create); default: this host's administrator token.")
    var tokenFile: String?

    @Option(help: "Event loops the proxy runs (Istio's concurrency; 0: one per core). Default: 2, Istio's.")
    var concurrency: Int?

    var labelMap: [String: String] { LabelList.parse(labels) }

    mutating func validate() throws {
        if let concurrency, concurrency < 0 { throw ValidationError("--concurrency must be 0 (one per core) or more, got \(concurrency)") }
    }

    var discovery: (String, Int)? {
        HostPort.parse(discoveryAddress ?? ProcessInfo.processInfo.environment["WEFT_DISCOVERY_ADDRESS"] ?? "127.0.0.1:15010")
    }
}

/// `k=v,k2=v2` label lists.
enum LabelList {
    static func parse(_ text: String) -> [String: String] {
        var labels: [String: String] = [:]
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2 && !parts[0].isEmpty { labels[parts[0]] = parts[1] }
        }
        return labels
    }
}

/// `weft proxy sidecar`: one workload's sidecar in host mode.
struct SidecarCommand: AsyncParsableCommand, RunsUntilStopped {
    static let configuration = CommandConfiguration(commandName: "sidecar", abstract: "Run a sidecar in host mode for one workload.")

    @Option(name: .customLong("pod-ip"), help: "The workload's pod IP (a loopback address the sidecar listens on). Default: allocate one.")
    var podIP: String?

    @Option(name: .customLong("app-address"), help: "The private address the application binds.")
    var appAddress: String?

    @Option(name: .customLong("port"), help: "A container port (repeatable): inbound podIP:PORT → app address:PORT.")
    var ports: [Int] = []

    @Option(help: "Proxy id (default: NAME-POD_IP.NAMESPACE).")
    var id: String?

    @Option(help: "Workload name.")
    var name: String = "workload"

    @Flag(help: "Transparent mode (inside the pod's network namespace, as weft run --netns starts it): capture on 15001 and 15006, DNS on 15053, the app on the pod IP.")
    var capture = false

    @Flag(help: "Make a transparent-mode pod (root: network namespace, capture rules, DNS) and run only the sidecar in it; run the app with `ip netns exec NAME`.")
    var netns = false

    @Option(name: .customLong("upstream-dns"), help: "Transparent mode: where names no service has are resolved, HOST:PORT (the host's resolver).")
    var upstreamDNS: String?

    @Option(name: .customLong("proxy-log"), help: "Where the access log's /dev/stdout goes (default: this process's standard output).")
    var proxyLog: String?

    @OptionGroup var identity: ProxyIdentityOptions

    mutating func run() async throws {
        guard let (discoveryHost, discoveryPort) = identity.discovery else { throw ValidationError("--discovery-address must be HOST:PORT") }
        if netns {
            guard let range = AddressRange(PodNetwork.defaultRange) else { throw ValidationError("bad default range \(PodNetwork.defaultRange)") }
            let pod = NetnsPod(workload: name, podName: name, namespace: identity.namespace, labels: identity.labelMap, serviceAccount: identity.serviceAccount,
                               ports: ports, withSidecar: true, annotations: [:], range: range, discovery: (discoveryHost, discoveryPort),
                               concurrency: identity.concurrency ?? ProxyConcurrency.istioDefault,
                               tokenFile: identity.tokenFile, proxyLog: proxyLog, logLevel: identity.logLevel, command: [], environment: ProcessInfo.processInfo.environment)
            do {
                throw ExitCode(try await pod.run())
            } catch let failure as PodNetwork.Failure {
                FileHandle.standardError.write(Data("weft proxy sidecar: \(failure)\n".utf8))
                throw ExitCode(1)
            }
        }
        var logger = Logger(label: "weft.sidecar")
        logger.logLevel = Logger.Level(rawValue: identity.logLevel) ?? .warning
        let lease = try podIP.map { PodAddress.Lease(fixed: $0) } ?? PodAddress.allocate()
        let appAddress = self.appAddress ?? (capture ? lease.podIP : lease.appAddress)
        let proxyID = id ?? "\(name)-\(lease.podIP).\(identity.namespace)"
        var host = SidecarHost(
            podIP: lease.podIP, appAddress: appAddress, ports: ports, proxyID: proxyID, workloadName: name,
            namespace: identity.namespace, labels: identity.labelMap, serviceAccount: identity.serviceAccount,
            discovery: (discoveryHost, discoveryPort), tokenFile: identity.tokenFile, accessLogFile: proxyLog, logger: logger)
        host.capture = capture
        host.concurrency = identity.concurrency ?? ProxyConcurrency.istioDefault
        if let upstreamDNS {
            guard let parsed = HostPort.parse(upstreamDNS) else { throw ValidationError("--upstream-dns must be HOST:PORT") }
            host.upstreamDNS = parsed
        }
        print("weft sidecar: pod IP \(lease.podIP), app address \(appAddress), outbound http://\(lease.podIP):15001, admin http://\(lease.podIP):15000")
        try await host.run(onReady: { FileHandle.standardOutput.write(Data("weft sidecar: ready\n".utf8)) })
        withExtendedLifetime(lease) {}
    }
}

/// Runs a sidecar (listeners, admin, discovery) until it is told to stop.
struct SidecarHost {
    let podIP: String
    let appAddress: String
    let ports: [Int]
    let proxyID: String
    let workloadName: String
    let namespace: String
    let labels: [String: String]
    let serviceAccount: String
    let discovery: (String, Int)
    /// `--token-file`: the only credential used when given.
    var tokenFile: String? = nil
    /// Where the sidecar's `/dev/stdout` access log goes (nil: this process's standard output).
    var accessLogFile: String? = nil
    let logger: Logger
    /// Transparent mode (inside the pod's network namespace).
    var capture = false
    var upstreamDNS: (host: String, port: Int)?
    /// Event loops (Istio's concurrency; 0: one per core).
    var concurrency = ProxyConcurrency.istioDefault

    /// Runs until SIGTERM/SIGINT, `POST /quitquitquit`, or `stop` finishing.
    func run(onReady: @escaping @Sendable () -> Void, until stop: (@Sendable () async -> Void)? = nil, onStop: @Sendable () -> Void = {}) async throws {
        let loops = ProxyConcurrency.loops(concurrency)
        MallocArenas.limit(to: Int32(loops + 1))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: loops)
        let quit = QuitSignal()
        var settings = Sidecar.Configuration(podIP: podIP, appAddress: appAddress, ports: ports,
                                             identity: ["id": proxyID, "namespace": namespace, "podIP": podIP, "labels": labels.map { "\($0)=\($1)" }.sorted().joined(separator: ",")])
        settings.requestHeadersTimeout = ProxyEnvironment.requestHeadersTimeout
        settings.waitsForCertificate = true
        settings.tlsHandshakeTimeout = ProxyEnvironment.tlsHandshakeTimeout
        settings.terminationDrainDuration = ProxyEnvironment.terminationDrainDuration
        settings.workload = WorkloadMetadata(workload: workloadName, namespace: namespace, labels: labels)
        settings.capture = capture
        settings.upstreamDNS = upstreamDNS
        settings.principal = SPIFFEIdentity(trustDomain: ProxyEnvironment.trustDomain, namespace: namespace, serviceAccount: serviceAccount).uri
        settings.accessLogFiles = AccessLogFiles(standardOutput: accessLogFile) { path in
            FileHandle.standardError.write(Data("weft: the sidecar's access log (/dev/stdout) is written to \(path)\n".utf8))
        }
        let sidecar = Sidecar(
            settings,
            group: group, logger: logger, quit: { quit.fire() }, onReady: onReady)
        var node = DiscoveryClientService.NodeInfo(id: proxyID, namespace: namespace, labels: labels, serviceAccount: serviceAccount, mode: "sidecar",
                                                   podIP: podIP, ports: Dictionary(ports.map { ("\($0)", $0) }, uniquingKeysWith: { a, _ in a }), workloadName: workloadName)
        node.adminAddress = "\(podIP):\(settings.adminPort)"
        let readiness = WorkloadReadiness(ready: ports.isEmpty)
        let discoveryClient = DiscoveryClientService(host: discovery.0, port: discovery.1, node: node, stats: sidecar.stats, logger: logger, readiness: readiness,
                                                     rootPEM: LocalCredential.root(host: discovery.0, port: discovery.1),
                                                     accessLogFiles: settings.accessLogFiles) { configuration in
            sidecar.install(configuration)
            MallocArenas.trim()
        }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = sidecar.services.map { .init(service: $0) }
        services.append(.init(service: discoveryClient))
        let workloadIdentity = SPIFFEIdentity(trustDomain: ProxyEnvironment.trustDomain, namespace: namespace, serviceAccount: serviceAccount)
        let ca = ProxyEnvironment.caAddress ?? discovery
        let token = try tokenFile.map(LocalCredential.read(file:)) ?? LocalCredential.token(host: ca.0, port: ca.1)
        services.append(.init(service: CertificateRotationService(host: ca.0, port: ca.1, identity: workloadIdentity, ttl: ProxyEnvironment.secretTTL, token: token,
                                                                  rootPEM: LocalCredential.root(host: ca.0, port: ca.1),
                                                                  certificates: sidecar.certificates, stats: sidecar.stats, logger: logger)))
        let store = sidecar.configuration
        let probe = AppReadinessProbe(host: appAddress, ports: ports, readiness: readiness, eventLoop: group.next(),
                                      sourceAddress: capture ? Sidecar.inboundPassthroughSource : nil) { port in
            store.active.listener(named: "inbound|\(port)")?.appPort ?? port
        }
        services.append(.init(service: probe, successTerminationBehavior: .ignore))
        services.append(.init(service: QuitWatcher(signal: quit, extra: stop), successTerminationBehavior: .gracefullyShutdownGroup))
        let serviceGroup = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await serviceGroup.run()
        settings.accessLogFiles.flushAll()
        onStop()
        try await group.shutdownGracefully()
    }
}

/// Proxy settings taken from the environment (both `weft proxy` and `weft run`).
enum ProxyEnvironment {
    /// Istio's `SECRET_TTL` (a duration: `24h`, `90s`, `5s`): the lifetime asked for the workload
    /// certificate; unset takes the CA's default (24 h).
    static var secretTTL: Duration? {
        guard let text = ProcessInfo.processInfo.environment["SECRET_TTL"], let seconds = (try? IstioDuration(parsing: text))?.seconds, seconds >= 1 else { return nil }
        return .milliseconds(Int64(seconds * 1000))
    }

    /// Istio's `CA_ADDR` (HOST:PORT): where certificates are asked for, when not the discovery address.
    static var caAddress: (String, Int)? {
        ProcessInfo.processInfo.environment["CA_ADDR"].flatMap(HostPort.parse)
    }

    /// The mesh's trust domain as the proxy names its identity (`TRUST_DOMAIN`, default cluster.local).
    static var trustDomain: String { ProcessInfo.processInfo.environment["TRUST_DOMAIN"] ?? "cluster.local" }

    /// `WEFT_TLS_HANDSHAKE_TIMEOUT` (seconds, default 10): how long a new inbound connection may take
    /// to send its first bytes, and then to finish its TLS handshake.
    static var tlsHandshakeTimeout: TimeAmount {
        let seconds = ProcessInfo.processInfo.environment["WEFT_TLS_HANDSHAKE_TIMEOUT"].flatMap(Double.init).flatMap { $0 > 0 ? $0 : nil } ?? 10
        return .milliseconds(Int64(seconds * 1000))
    }

    /// Istio's `TERMINATION_DRAIN_DURATION_SECONDS` (default 5): how long connections may take to
    /// drain (GOAWAY, `Connection: close`, answers in flight finished) when the proxy stops.
    static var terminationDrainDuration: TimeAmount {
        let seconds = ProcessInfo.processInfo.environment["TERMINATION_DRAIN_DURATION_SECONDS"].flatMap(Double.init).flatMap { $0 >= 0 ? $0 : nil } ?? 5
        return .milliseconds(Int64(seconds * 1000))
    }

    /// `WEFT_REQUEST_HEADERS_TIMEOUT` (seconds, default 10): how long a started request may take to finish its headers.
    static var requestHeadersTimeout: TimeAmount {
        let seconds = ProcessInfo.processInfo.environment["WEFT_REQUEST_HEADERS_TIMEOUT"].flatMap(Double.init).flatMap { $0 > 0 ? $0 : nil } ?? 10
        return .milliseconds(Int64(seconds * 1000))
    }
}

/// `weft proxy router`: an ingress or egress gateway.
struct RouterCommand: AsyncParsableCommand, RunsUntilStopped {
    static let configuration = CommandConfiguration(commandName: "router", abstract: "Run a gateway router: listeners for the Gateways that select its labels.")

    @Option(help: "The address the gateway listens on (default: allocate a loopback address).")
    var address: String?

    @Option(name: .customLong("admin-address"), help: "The address of the admin endpoint (port 15000); default: a loopback address of its own when --address is given, else the gateway's.")
    var adminAddress: String?

    @Option(help: "Proxy id (default: NAME-ADDRESS.NAMESPACE).")
    var id: String?

    @Option(help: "Gateway name.")
    var name: String = "istio-ingressgateway"

    @OptionGroup var identity: ProxyIdentityOptions

    @OptionGroup var controlPlane: ControlPlaneOptions

    mutating func run() async throws {
        guard let (discoveryHost, discoveryPort) = identity.discovery else { throw ValidationError("--discovery-address must be HOST:PORT") }
        var logger = Logger(label: "weft.router")
        logger.logLevel = Logger.Level(rawValue: identity.logLevel) ?? .warning
        let lease = try address.map { PodAddress.Lease(fixed: $0) } ?? PodAddress.allocate()
        // A gateway on a shared address (127.0.0.1) must not take that address's 15000 from another one.
        let adminLease = try adminAddress.map { PodAddress.Lease(fixed: $0) } ?? (address == nil ? lease : PodAddress.allocate())
        let proxyID = id ?? "\(name)-\(lease.podIP).\(identity.namespace)"
        let loops = ProxyConcurrency.loops(identity.concurrency ?? ProxyConcurrency.istioDefault)
        MallocArenas.limit(to: Int32(loops + 1))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: loops)
        let quit = QuitSignal()
        let accessLogFiles = AccessLogFiles()
        let router = Router(address: lease.podIP, adminAddress: adminLease.podIP, identity: ["id": proxyID, "namespace": identity.namespace], group: group, logger: logger,
                            quit: { quit.fire() }, onReady: { FileHandle.standardOutput.write(Data("weft router: ready\n".utf8)) },
                            requestHeadersTimeout: ProxyEnvironment.requestHeadersTimeout, waitsForCertificate: true,
                            workload: WorkloadMetadata(workload: name, namespace: identity.namespace, labels: identity.labelMap),
                            principal: SPIFFEIdentity(trustDomain: ProxyEnvironment.trustDomain, namespace: identity.namespace, serviceAccount: identity.serviceAccount).uri,
                            accessLogFiles: accessLogFiles, terminationDrainDuration: ProxyEnvironment.terminationDrainDuration,
                            edge: await GatewayTopologyLookup.resolve(namespace: identity.namespace, labels: identity.labelMap, client: controlPlane.client))
        var node = DiscoveryClientService.NodeInfo(id: proxyID, namespace: identity.namespace, labels: identity.labelMap, serviceAccount: identity.serviceAccount,
                                                   mode: "router", podIP: lease.podIP, ports: [:], workloadName: name)
        node.adminAddress = "\(adminLease.podIP):15000"
        let discoveryClient = DiscoveryClientService(host: discoveryHost, port: discoveryPort, node: node, stats: router.stats, logger: logger,
                                                     readiness: WorkloadReadiness(ready: true),
                                                     rootPEM: LocalCredential.root(host: discoveryHost, port: discoveryPort),
                                                     accessLogFiles: accessLogFiles) { configuration in
            router.install(configuration)
            MallocArenas.trim()
        }
        print("weft router: address \(lease.podIP), admin http://\(adminLease.podIP):15000")
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = router.services.map { .init(service: $0) }
        services.append(.init(service: discoveryClient))
        let gatewayIdentity = SPIFFEIdentity(trustDomain: ProxyEnvironment.trustDomain, namespace: identity.namespace, serviceAccount: identity.serviceAccount)
        let ca = ProxyEnvironment.caAddress ?? (discoveryHost, discoveryPort)
        let token = try identity.tokenFile.map(LocalCredential.read(file:)) ?? LocalCredential.token(host: ca.0, port: ca.1)
        services.append(.init(service: CertificateRotationService(host: ca.0, port: ca.1, identity: gatewayIdentity, ttl: ProxyEnvironment.secretTTL, token: token,
                                                                  rootPEM: LocalCredential.root(host: ca.0, port: ca.1),
                                                                  certificates: router.certificates, stats: router.stats, logger: logger)))
        services.append(.init(service: QuitWatcher(signal: quit, extra: nil), successTerminationBehavior: .gracefullyShutdownGroup))
        try await ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)).run()
        accessLogFiles.flushAll()
        try await group.shutdownGracefully()
        withExtendedLifetime((lease, adminLease)) {}
    }
}
