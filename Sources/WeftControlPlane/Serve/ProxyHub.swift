import Foundation
import Logging
import WeftAPI
import WeftDiscovery
import WeftModel

/// The Serve stage's bookkeeping: connected proxies, what each was sent and what it answered
/// (ACK/NACK), the workloads their sidecars registered, and debounced pushes of new configuration
/// only to proxies whose view changed.
public actor ProxyHub {
    /// What the control plane sends on a proxy's stream: one resource type at one version.
    public struct Push: Sendable {
        public var typeURL: String
        public var version: String
        public var nonce: String
        public var resources: [(name: String, payload: Data)]
    }

    /// A connected proxy, as `proxy-status` shows it.
    public struct Status: Sendable, Codable {
        public var id: String
        public var namespace: String
        public var labels: [String: String]
        public var mode: String
        public var podIP: String
        /// `host:port` of the proxy's admin API ("" when it did not say).
        public var adminAddress: String
        /// Per type: sent version, acked version, NACK reason.
        public var types: [String: TypeStatus]
        public var state: String
    }

    /// One resource type's sync state for one proxy.
    public struct TypeStatus: Sendable, Codable {
        public var sent: String
        public var acked: String
        public var nack: String?
    }

    /// A proxy's self-description when it connects.
    public struct Node: Sendable {
        public var identity: ProxyIdentity
        public var podIP: String
        public var ports: [String: Int]
        public var workloadName: String
        public var ready: Bool
        /// `host:port` of the proxy's admin API.
        public var adminAddress: String = ""

        public init(identity: ProxyIdentity, podIP: String, ports: [String: Int], workloadName: String, ready: Bool = true) {
            self.identity = identity
            self.podIP = podIP
            self.ports = ports
            self.workloadName = workloadName
            self.ready = ready
        }
    }

    private struct Connection {
        var node: Node
        var continuation: AsyncStream<Push>.Continuation
        var lastView: ProxyView?
        /// What was last sent per type, compared whole: `Data`'s hash reads only a prefix of the
        /// bytes, so two payloads of one length that differ late (a subset name) would hash alike.
        var sentPayloads: [String: [SentResource]] = [:]
        var types: [String: TypeStatus] = [:]
        var nonces: [String: String] = [:]
        var configuration: ProxyConfiguration?
    }

    /// Settings of pushes.
    public struct Configuration: Sendable {
        /// Quiet period before a push (Istio's PILOT_DEBOUNCE_AFTER, 100 ms).
        public var debounceQuiet: Duration = .milliseconds(100)
        /// Longest a change waits under continuous churn (PILOT_DEBOUNCE_MAX, 10 s).
        public var debounceMax: Duration = .seconds(10)
        /// How long a disconnected sidecar's workload stays in the registry.
        public var workloadGrace: Duration = .seconds(2)
        public init() {}
    }

    private let configuration: Configuration
    private let logger: Logger
    private var snapshot: MeshSnapshot = .empty
    private var connections: [Int: Connection] = [:]
    private var nextID = 0
    private var nextNonce = 0
    private var pushGeneration = 0
    private var firstDirty: ContinuousClock.Instant?
    private var lastDirty: ContinuousClock.Instant?
    private var debounceTask: Task<Void, Never>?
    private var departed: [String: (WorkloadInstance, ContinuousClock.Instant)] = [:]

    public init(configuration: Configuration = Configuration(), logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    // MARK: inputs

    public func update(_ snapshot: MeshSnapshot) {
        self.snapshot = snapshot
        markDirty()
    }

    /// Registers a proxy; its stream of pushes starts with its full configuration.
    public func connect(_ node: Node) -> (id: Int, pushes: AsyncStream<Push>) {
        let (stream, continuation) = AsyncStream.makeStream(of: Push.self, bufferingPolicy: .bufferingNewest(16))
        let id = nextID
        nextID += 1
        departed[node.identity.id] = nil
        connections[id] = Connection(node: node, continuation: continuation)
        logger.info("proxy connected", metadata: ["proxy": "\(node.identity.id)", "podIP": "\(node.podIP)"])
        // A new workload changes other proxies' endpoints: push to everyone (debounced), and to
        // this proxy at once so it becomes ready without waiting out the debounce.
        recompute(only: id)
        markDirty()
        return (id, stream)
    }

    public func disconnect(_ id: Int) {
        guard let connection = connections.removeValue(forKey: id) else { return }
        connection.continuation.finish()
        if let workload = workload(for: connection.node) {
            departed[connection.node.identity.id] = (workload, .now + configuration.workloadGrace)
            Task { [grace = configuration.workloadGrace] in
                try? await Task.sleep(for: grace)
                self.expireDeparted()
            }
        }
        logger.info("proxy disconnected", metadata: ["proxy": "\(connection.node.identity.id)"])
    }

    /// The workload behind a proxy became ready (its app answers) or stopped being ready.
    public func readinessChanged(_ id: Int, ready: Bool) {
        guard var connection = connections[id], connection.node.ready != ready else { return }
        connection.node.ready = ready
        connections[id] = connection
        markDirty()
    }

    /// Records an ACK (no error) or a NACK (error detail) for a type.
    public func received(_ id: Int, typeURL: String, version: String, nonce: String, error: String?) {
        guard var connection = connections[id], !nonce.isEmpty, connection.nonces[typeURL] == nonce else { return }
        var status = connection.types[typeURL] ?? TypeStatus(sent: "", acked: "", nack: nil)
        if let error {
            status.nack = error
            logger.warning("proxy rejected configuration", metadata: ["proxy": "\(connection.node.identity.id)", "type": "\(typeURL)", "error": "\(error)"])
        } else {
            status.acked = version
            status.nack = nil
        }
        connection.types[typeURL] = status
        connections[id] = connection
    }

    // MARK: queries

    public func statuses() -> [Status] {
        connections.values.sorted { $0.node.identity.id < $1.node.identity.id }.map { connection in
            let types = connection.types
            let state: String
            if types.values.contains(where: { $0.nack != nil }) { state = "NACKED" }
            else if types.values.allSatisfy({ $0.sent == $0.acked }) && !types.isEmpty { state = "SYNCED" }
            else { state = "STALE" }
            return Status(id: connection.node.identity.id, namespace: connection.node.identity.namespace, labels: connection.node.identity.labels,
                          mode: connection.node.identity.mode.rawValue, podIP: connection.node.podIP, adminAddress: connection.node.adminAddress, types: types, state: state)
        }
    }

    public func configuration(of proxyID: String) -> ProxyConfiguration? {
        connections.values.first { $0.node.identity.id == proxyID }?.configuration
    }

    public func registeredWorkloads() -> [WorkloadInstance] {
        connections.values.compactMap { workload(for: $0.node) } + departed.values.map(\.0)
    }

    // MARK: pushing

    private func markDirty() {
        let now = ContinuousClock.now
        if firstDirty == nil { firstDirty = now }
        lastDirty = now
        guard debounceTask == nil else { return }
        debounceTask = Task { await self.debounceLoop() }
    }

    private func debounceLoop() async {
        while let first = firstDirty, let last = lastDirty {
            let now = ContinuousClock.now
            if now - last >= configuration.debounceQuiet || now - first >= configuration.debounceMax {
                firstDirty = nil
                lastDirty = nil
                recompute(only: nil)
            } else {
                let wait = min(configuration.debounceQuiet - (now - last), configuration.debounceMax - (now - first))
                try? await Task.sleep(for: wait)
            }
        }
        debounceTask = nil
    }

    private func expireDeparted() {
        let now = ContinuousClock.now
        let before = departed.count
        departed = departed.filter { $0.value.1 > now }
        if departed.count != before { markDirty() }
    }

    private func workload(for node: Node) -> WorkloadInstance? {
        guard node.identity.mode == .sidecar, !node.podIP.isEmpty else { return nil }
        var workload = WorkloadInstance(name: node.workloadName, namespace: node.identity.namespace, labels: node.identity.labels,
                                        serviceAccount: node.identity.serviceAccount, address: node.podIP, namedPorts: node.ports,
                                        locality: Locality.from(labels: node.identity.labels).description, origin: .sidecar, proxyID: node.identity.id)
        workload.ready = node.ready
        return workload
    }

    /// Builds every (or one) proxy's view; pushes the types whose content changed.
    private func recompute(only: Int?) {
        pushGeneration += 1
        let resources = snapshot.all.map(\.resource)
        let registry = RegistryBuilder.build(resources, registered: registeredWorkloads())
        let meshConfig = MeshConfigSource.meshConfig(in: resources)
        let version = "\(snapshot.revision).\(pushGeneration)"
        for id in only.map({ [$0] }) ?? Array(connections.keys) {
            guard var connection = connections[id] else { continue }
            let view = ProxyViewBuilder.build(proxy: connection.node.identity, resources: resources, registry: registry, meshConfig: meshConfig)
            if connection.lastView == view { continue }
            connection.lastView = view
            let config = ProxyConfigBuilder.build(view, version: version)
            connection.configuration = config
            let byType: [(String, [(String, Data)])] = [
                (DiscoveryTypes.clusters, config.clusters.map { ($0.name, Self.encode($0)) }),
                (DiscoveryTypes.endpoints, config.endpoints.map { ($0.cluster, Self.encode($0)) }),
                (DiscoveryTypes.routes, config.routeTables.map { ($0.name, Self.encode($0)) }),
            ]
            for (typeURL, items) in byType {
                let sent = items.map { SentResource(name: $0.0, payload: $0.1) }
                if connection.sentPayloads[typeURL] == sent { continue }
                connection.sentPayloads[typeURL] = sent
                nextNonce += 1
                let nonce = String(nextNonce)
                connection.nonces[typeURL] = nonce
                var status = connection.types[typeURL] ?? TypeStatus(sent: "", acked: "", nack: nil)
                status.sent = version
                connection.types[typeURL] = status
                connection.continuation.yield(Push(typeURL: typeURL, version: version, nonce: nonce, resources: items.map { (name: $0.0, payload: $0.1) }))
            }
            connections[id] = connection
        }
    }

    /// One resource as pushed, kept to tell whether the next push would change anything.
    struct SentResource: Equatable {
        var name: String
        var payload: Data
    }

    private static func encode<T: Encodable>(_ value: T) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(value)) ?? Data()
    }
}

/// Where the mesh-wide MeshConfig comes from: the `istio` ConfigMap's `mesh` document, when applied.
public enum MeshConfigSource {
    public static func meshConfig(in resources: [any APIResource]) -> MeshConfig {
        for resource in resources {
            if let map = resource as? ConfigMap, map.name == "istio", let mesh = map.data?["mesh"], let config = try? MeshConfigDocument.decode(mesh) {
                return config
            }
        }
        return MeshConfig()
    }
}
