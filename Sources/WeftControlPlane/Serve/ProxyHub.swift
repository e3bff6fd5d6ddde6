import Foundation
import Logging
import WeftAPI
import WeftDiscovery
import WeftModel

/// The Serve stage: connected proxies and their streams. It composes the parts that each do one
/// thing (the debouncer decides when, the registrations say which workloads sidecars brought, the
/// Snapshot stage's `MeshState` holds the mesh, the translators make each proxy's configuration, the
/// ledger remembers what was sent and answered) and pushes only to proxies whose view changed.
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
        var configuration: ProxyConfiguration?
        /// The resource types the proxy asked for; only these are pushed (an older proxy asks for fewer).
        var subscribed: Set<String> = []
        var connectedAt = ContinuousClock.now
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

    private let logger: Logger
    private let clock = ContinuousClock()
    private var snapshot: MeshSnapshot = .empty
    /// Key sets fetched for RequestAuthentication `jwksUri`s (`JWKSFetchService`).
    private var jwks: [String: String] = [:]
    /// The API's address, where the built-in collector listens (set once the API is bound).
    private var builtInCollector: String?
    /// Built from `snapshot` and the registrations when either changed, then shared by every view.
    private var state: MeshState?
    private var connections: [Int: Connection] = [:]
    private var registrations: WorkloadRegistrations<ContinuousClock.Instant>
    private var ledger = PushLedger()
    private var debouncer: PushDebouncer<ContinuousClock.Instant>
    private var debounceTask: Task<Void, Never>?
    private var nextID = 0
    private var metrics = ControlPlaneMetrics()
    /// When the mesh last changed (config, key sets, a proxy joining): convergence is measured from it.
    private var lastChange = ContinuousClock.now
    /// Pushes not yet answered, by nonce: the proxy and the change they carry.
    private var unanswered: [String: (proxy: Int, changedAt: ContinuousClock.Instant)] = [:]
    private var validation = (passed: 0, failed: 0)
    private var pushGeneration = 0

    public init(configuration: Configuration = Configuration(), logger: Logger) {
        self.logger = logger
        registrations = WorkloadRegistrations(grace: configuration.workloadGrace)
        debouncer = PushDebouncer(quiet: configuration.debounceQuiet, maximum: configuration.debounceMax)
    }

    // MARK: inputs

    public func update(_ snapshot: MeshSnapshot) {
        self.snapshot = snapshot
        lastChange = .now
        state = nil
        markDirty()
    }

    /// New fetched key sets: proxies whose rules name a changed URI get them on the next push.
    public func updateJWKS(_ keySets: [String: String]) {
        guard keySets != jwks else { return }
        jwks = keySets
        lastChange = .now
        state = nil
        markDirty()
    }

    /// The API is bound at `address` (`host:port`): proxies without a tracer address send spans there.
    public func setBuiltInCollector(_ address: String) {
        guard address != builtInCollector else { return }
        builtInCollector = address
        lastChange = .now
        state = nil
        markDirty()
    }

    /// Registers a proxy; its stream of pushes starts with its full configuration, of the types it subscribes to.
    public func connect(_ node: Node, subscribing typeURL: String) -> (id: Int, pushes: AsyncStream<Push>) {
        let (stream, continuation) = AsyncStream.makeStream(of: Push.self, bufferingPolicy: .bufferingNewest(16))
        let id = nextID
        nextID += 1
        connections[id] = Connection(node: node, continuation: continuation, subscribed: typeURL.isEmpty ? [] : [typeURL])
        registrations.connect(id, node)
        state = nil
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
        ledger.forget(proxy: id)
        unanswered = unanswered.filter { $0.value.proxy != id }
        if let until = registrations.disconnect(id, at: clock.now) {
            state = nil
            Task { [clock] in
                try? await clock.sleep(until: until)
                self.expireDeparted()
            }
        }
        logger.info("proxy disconnected", metadata: ["proxy": "\(connection.node.identity.id)"])
    }

    /// The proxy asks for a resource type: pushed at once when its configuration is already made.
    public func subscribe(_ id: Int, typeURL: String) {
        guard !typeURL.isEmpty, var connection = connections[id], !connection.subscribed.contains(typeURL) else { return }
        connection.subscribed.insert(typeURL)
        connections[id] = connection
        if let config = connection.configuration { push(config, to: id, types: [typeURL]) }
    }

    /// The workload behind a proxy became ready (its app answers) or stopped being ready.
    public func readinessChanged(_ id: Int, ready: Bool) {
        guard connections[id] != nil else { return }
        connections[id]?.node.ready = ready
        if registrations.setReady(id, ready) {
            state = nil
            markDirty()
        }
    }

    /// Records an ACK (no error) or a NACK (error detail) for a type.
    public func received(_ id: Int, typeURL: String, version: String, nonce: String, error: String?) {
        guard let connection = connections[id], ledger.answer(proxy: id, typeURL: typeURL, version: version, nonce: nonce, error: error) else { return }
        let pushed = unanswered.removeValue(forKey: nonce)
        if error == nil, let pushed { metrics.converged(after: Self.seconds(ContinuousClock.now - pushed.changedAt)) }
        if let error {
            metrics.rejected(typeURL)
            logger.warning("proxy rejected configuration", metadata: ["proxy": "\(connection.node.identity.id)", "type": "\(typeURL)", "error": "\(error)"])
        }
    }

    // MARK: queries

    /// The control plane's metrics in Prometheus's text format (`GET /metrics`).
    public func prometheusText() -> String {
        var kinds: [String: Int] = [:]
        for stored in snapshot.list() { kinds[stored.key.kind, default: 0] += 1 }
        return metrics.prometheusText(connected: connections.count, resources: kinds, validation: validation)
    }

    /// Counts an apply's outcome: documents accepted, or documents refused.
    public func validated(passed: Int, failed: Int) {
        validation.passed += passed
        validation.failed += failed
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    public func statuses() -> [Status] {
        connections.sorted { $0.value.node.identity.id < $1.value.node.identity.id }.map { id, connection in
            let node = connection.node
            return Status(id: node.identity.id, namespace: node.identity.namespace, labels: node.identity.labels, mode: node.identity.mode.rawValue,
                          podIP: node.podIP, adminAddress: node.adminAddress, types: ledger.types(of: id), state: ledger.state(of: id))
        }
    }

    public func configuration(of proxyID: String) -> ProxyConfiguration? {
        connections.values.first { $0.node.identity.id == proxyID }?.configuration
    }

    public func registeredWorkloads() -> [WorkloadInstance] { registrations.workloads }

    /// What a connected proxy's configuration is made from (for `weft authn tls-check`).
    public func view(of proxyID: String) -> ProxyView? {
        guard let node = connections.values.first(where: { $0.node.identity.id == proxyID })?.node else { return nil }
        return ProxyViewBuilder.build(proxy: node.identity, state: currentState())
    }

    // MARK: pushing

    private func markDirty() {
        debouncer.changed(at: clock.now)
        guard debounceTask == nil else { return }
        debounceTask = Task { await self.debounceLoop() }
    }

    private func debounceLoop() async {
        while let deadline = debouncer.deadline {
            if debouncer.fire(at: clock.now) {
                recompute(only: nil)
            } else {
                try? await clock.sleep(until: deadline)
            }
        }
        debounceTask = nil
    }

    private func expireDeparted() {
        if registrations.expire(at: clock.now) {
            state = nil
            markDirty()
        }
    }

    private func currentState() -> MeshState {
        if let state { return state }
        let next = MeshState(snapshot: snapshot, registered: registrations.workloads, jwks: jwks, builtInCollector: builtInCollector)
        state = next
        return next
    }

    /// Builds every (or one) proxy's view; pushes the types whose content changed.
    private func recompute(only: Int?) {
        pushGeneration += 1
        let state = currentState()
        let version = ConfigVersion(revision: state.revision, push: pushGeneration).text
        for id in only.map({ [$0] }) ?? Array(connections.keys) {
            guard var connection = connections[id] else { continue }
            let view = ProxyViewBuilder.build(proxy: connection.node.identity, state: state)
            if connection.lastView == view { continue }
            connection.lastView = view
            let config = ProxyConfigBuilder.build(view, version: version)
            connection.configuration = config
            connections[id] = connection
            push(config, to: id, types: connection.subscribed)
        }
    }

    /// Sends the types of `config` the ledger says changed for this proxy.
    private func push(_ config: ProxyConfiguration, to id: Int, types: Set<String>) {
        guard let connection = connections[id] else { return }
        for (typeURL, items) in DiscoveryTypes.resources(of: config) where types.contains(typeURL) {
            guard let nonce = ledger.push(proxy: id, typeURL: typeURL, version: config.version, resources: items) else { continue }
            metrics.pushed(typeURL)
            // A first push to a new proxy counts from its connection, not from an older change.
            unanswered[nonce] = (id, max(lastChange, connection.connectedAt))
            connection.continuation.yield(Push(typeURL: typeURL, version: config.version, nonce: nonce, resources: items.map { (name: $0.name, payload: $0.payload) }))
        }
    }
}
