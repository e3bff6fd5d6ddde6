import GRPCCore
import NIOConcurrencyHelpers
import GRPCNIOTransportHTTP2
import Logging
import ServiceLifecycle
import WeftDiscovery
import WeftModel

/// The proxy's side of discovery: one stream to the control plane, ACK or NACK per response,
/// reconnecting with backoff; while the control plane is away the last good configuration serves.
public struct DiscoveryClientService: Service {
    /// Who this proxy is, as sent on every request.
    public struct NodeInfo: Sendable {
        public var id: String
        public var namespace: String
        public var labels: [String: String]
        public var serviceAccount: String
        public var mode: String
        public var podIP: String
        public var ports: [String: Int]
        public var workloadName: String
        /// `host:port` of the admin API.
        public var adminAddress: String = ""

        public init(id: String, namespace: String, labels: [String: String], serviceAccount: String, mode: String, podIP: String, ports: [String: Int], workloadName: String) {
            self.id = id
            self.namespace = namespace
            self.labels = labels
            self.serviceAccount = serviceAccount
            self.mode = mode
            self.podIP = podIP
            self.ports = ports
            self.workloadName = workloadName
        }
    }

    let host: String
    let port: Int
    let node: NodeInfo
    let install: @Sendable (ProxyConfiguration) -> Void
    let stats: ProxyStats
    let logger: Logger
    let readiness: WorkloadReadiness
    /// The mesh root the control plane's TLS is checked with; nil for plaintext (loopback).
    let rootPEM: String?
    /// The proxy's access log files: a listener whose log cannot be used is refused (NACK).
    let accessLogFiles: AccessLogFiles?

    public init(host: String, port: Int, node: NodeInfo, stats: ProxyStats, logger: Logger, readiness: WorkloadReadiness, rootPEM: String? = nil,
                accessLogFiles: AccessLogFiles? = nil, install: @escaping @Sendable (ProxyConfiguration) -> Void) {
        self.accessLogFiles = accessLogFiles
        self.rootPEM = rootPEM
        self.readiness = readiness
        self.host = host
        self.port = port
        self.node = node
        self.install = install
        self.stats = stats
        self.logger = logger
    }

    public func run() async throws {
        // The stream waits on the network; shutting down cancels it (the listeners drain on their own).
        await cancelWhenGracefulShutdown {
            var backoff = Duration.milliseconds(100)
            while !Task.isCancelled {
                do {
                    try await stream()
                    backoff = .milliseconds(100)
                } catch {
                    if Task.isCancelled { break }
                    stats.increment("control_plane.connection_failure")
                    logger.debug("discovery stream ended", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(5))
            }
        }
    }

    private func stream() async throws {
        let transport = try ControlPlaneTransport.make(host: host, port: port, rootPEM: rootPEM)
        try await withGRPCClient(transport: transport) { client in
            let discovery = Weft_Discovery_V1_AggregatedDiscoveryService.Client(wrapping: client)
            let (requests, outbox) = AsyncStream.makeStream(of: Weft_Discovery_V1_DiscoveryRequest.self)
            for typeURL in DiscoveryTypes.all { outbox.yield(request(typeURL: typeURL, version: "", nonce: "", error: nil)) }
            let node = self.node
            let readiness = self.readiness
            // Tell the control plane when the app starts (or stops) answering.
            readiness.onChange { _ in outbox.yield(Self.request(node: node, typeURL: "", version: "", nonce: "", error: nil, ready: readiness.isReady)) }
            try await discovery.streamAggregatedResources { writer in
                for await request in requests { try await writer.write(request) }
            } onResponse: { [install, stats, logger, accessLogFiles] response in
                var assembler = ConfigurationAssembler(accessLogFiles: accessLogFiles)
                var accepted: [String: String] = [:]
                for try await message in response.messages {
                    logger.debug("discovery response", metadata: ["type": "\(message.typeURL)", "version": "\(message.versionInfo)", "resources": "\(message.resources.count)"])
                    do {
                        let started = ContinuousClock.now
                        if let configuration = try assembler.accept(message) {
                            install(configuration)
                            // Decode and install (Istio's proxies are measured on the same: the push's apply time).
                            let microseconds = Int((ContinuousClock.now - started) / .microseconds(1))
                            stats.set("control_plane.config_apply_last_us", to: microseconds)
                            stats.raise("control_plane.config_apply_max_us", to: microseconds)
                            stats.increment("control_plane.config_installed")
                        }
                        accepted[message.typeURL] = message.versionInfo
                        outbox.yield(Self.request(node: node, typeURL: message.typeURL, version: message.versionInfo, nonce: message.nonce, error: nil, ready: readiness.isReady))
                    } catch {
                        stats.increment("control_plane.config_rejected")
                        logger.warning("configuration rejected", metadata: ["type": "\(message.typeURL)", "reason": "\(error)"])
                        outbox.yield(Self.request(node: node, typeURL: message.typeURL, version: accepted[message.typeURL] ?? "", nonce: message.nonce, error: "\(error)", ready: readiness.isReady))
                    }
                }
                outbox.finish()
            }
        }
    }

    private func request(typeURL: String, version: String, nonce: String, error: String?) -> Weft_Discovery_V1_DiscoveryRequest {
        Self.request(node: node, typeURL: typeURL, version: version, nonce: nonce, error: error, ready: readiness.isReady)
    }

    static func request(node: NodeInfo, typeURL: String, version: String, nonce: String, error: String?, ready: Bool) -> Weft_Discovery_V1_DiscoveryRequest {
        var request = Weft_Discovery_V1_DiscoveryRequest()
        request.typeURL = typeURL
        request.versionInfo = version
        request.responseNonce = nonce
        var info = Weft_Discovery_V1_Node()
        info.id = node.id
        info.namespace = node.namespace
        info.labels = node.labels
        info.serviceAccount = node.serviceAccount
        info.mode = node.mode
        info.podIp = node.podIP
        info.ports = node.ports.mapValues { UInt32(clamping: $0) }
        info.workloadName = node.workloadName
        info.ready = ready
        info.adminAddress = node.adminAddress
        request.node = info
        if let error {
            var status = Weft_Discovery_V1_Status()
            status.code = 3
            status.message = error
            request.errorDetail = status
        }
        return request
    }
}

/// Whether the workload's application answers on its ports; the sidecar's probe sets it and the
/// discovery client reports changes, so the workload becomes an endpoint only once it can serve.
public final class WorkloadReadiness: Sendable {
    private let state: NIOLockedValueBox<(ready: Bool, callbacks: [@Sendable (Bool) -> Void])>

    public init(ready: Bool) { state = NIOLockedValueBox((ready, [])) }

    public var isReady: Bool { state.withLockedValue { $0.ready } }

    public func set(_ ready: Bool) {
        let callbacks = state.withLockedValue { state -> [@Sendable (Bool) -> Void] in
            guard state.ready != ready else { return [] }
            state.ready = ready
            return state.callbacks
        }
        for callback in callbacks { callback(ready) }
    }

    public func onChange(_ callback: @escaping @Sendable (Bool) -> Void) {
        state.withLockedValue { $0.callbacks.append(callback) }
    }
}
