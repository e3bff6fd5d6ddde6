import WeftModel

/// The workloads sidecars registered by connecting (Istio's pods, here announced by their proxy):
/// present while connected, ready or not as the sidecar reports, and kept for a grace period after
/// a disconnect so a reconnecting sidecar does not flap its endpoints. Time comes in as arguments.
struct WorkloadRegistrations<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    let grace: Duration
    private var connected: [Int: WorkloadInstance] = [:]
    /// By proxy id: the workload of a proxy that went, and when it stops counting.
    private var departed: [String: (workload: WorkloadInstance, until: Instant)] = [:]

    init(grace: Duration) { self.grace = grace }

    /// The workload a connecting proxy stands for: a sidecar's, or a router's (its gateway pod), by pod IP.
    static func workload(for node: ProxyHub.Node) -> WorkloadInstance? {
        guard !node.podIP.isEmpty else { return nil }
        var workload = WorkloadInstance(name: node.workloadName, namespace: node.identity.namespace, labels: node.identity.labels,
                                        serviceAccount: node.identity.serviceAccount, address: node.podIP, namedPorts: node.ports,
                                        locality: Locality.from(labels: node.identity.labels).description,
                                        origin: node.identity.mode == .sidecar ? .sidecar : .gateway, proxyID: node.identity.id)
        workload.ready = node.ready
        return workload
    }

    mutating func connect(_ id: Int, _ node: ProxyHub.Node) {
        departed[node.identity.id] = nil
        connected[id] = Self.workload(for: node)
    }

    /// The proxy went at `now`; returns when its workload expires, nil when it registered none.
    mutating func disconnect(_ id: Int, at now: Instant) -> Instant? {
        guard let workload = connected.removeValue(forKey: id), let proxyID = workload.proxyID else { return nil }
        let until = now.advanced(by: grace)
        departed[proxyID] = (workload, until)
        return until
    }

    /// True when the readiness changed what the registry holds.
    mutating func setReady(_ id: Int, _ ready: Bool) -> Bool {
        guard var workload = connected[id], workload.ready != ready else { return false }
        workload.ready = ready
        connected[id] = workload
        return true
    }

    /// Drops departed workloads whose grace ended by `now`; true when any did.
    mutating func expire(at now: Instant) -> Bool {
        let before = departed.count
        departed = departed.filter { $0.value.until > now }
        return departed.count != before
    }

    /// Every registered workload, connected or within its grace, in a stable order.
    var workloads: [WorkloadInstance] {
        (connected.values.map { $0 } + departed.values.map(\.workload)).sorted { ($0.namespace, $0.name, $0.address) < ($1.namespace, $1.name, $1.address) }
    }
}
