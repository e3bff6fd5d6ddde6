import NIOConcurrencyHelpers
import Synchronization
import WeftJWT
import WeftModel
import WeftTelemetry

/// The configuration a proxy is serving, indexed for the data path. Immutable: a new version
/// replaces it whole, and requests in flight keep the one they started with. A class: every
/// request takes it (and copies of its context carry it), which is one retain, not one per table.
public final class ActiveConfiguration: Sendable {
    public let configuration: ProxyConfiguration
    public let routeTables: [String: RouteTable]
    /// Each route table's virtual hosts by domain.
    public let virtualHosts: [String: VirtualHostIndex]
    public let clusters: ClusterTable
    public let endpoints: [String: [EndpointGroup.Endpoint]]
    /// Clusters whose endpoints do not all weigh the same (ServiceEntry or WorkloadEntry `weight`):
    /// balanced by weight.
    public let weightedClusters: Set<String>
    /// Each TLS-capable cluster's SNI (`UpstreamTransport.serverName(of:)`), made once here.
    let serverNames: [String: String]
    /// Inbound listeners' PeerAuthentication, by port.
    private let peerAuthentications: [Int: PeerAuthenticationMode]
    /// Inbound ports whose bytes go to the app as they are (a `tcp`, `tls`, `redis`… Service port), with the service's host.
    private let opaqueInbound: [Int: String]
    /// Inbound ports whose app speaks HTTP/2 (an `http2` or `grpc` Service port).
    private let http2Inbound: Set<Int>
    /// Inbound ports a Sidecar ingress listener forwards to another app port (`defaultEndpoint`).
    private let redirectedInbound: [Int: Int]
    /// Inbound ports' limits on the connections to the app (Sidecar `inboundConnectionPool`).
    private let inboundConnectionPools: [Int: ConnectionPoolPolicy]
    /// Inbound ports no Service port declares (sniffed): their listener.
    private let sniffedInbound: [Int: ListenerConfig]
    private let inboundDetectionTimeouts: [Int: Int]
    private let outboundSNIRoutes: [Int: [SNIRoute]]
    private let tunnelTCPRoutes: [Int: [TunnelTCPRoute]]
    /// Inbound listeners' AuthorizationPolicies, by port (only ports that have any).
    private let authorizations: [Int: [AuthorizationPolicyConfig]]
    /// The same as a TCP connection is judged by them (`forConnections`), made once here.
    private let connectionAuthorizations: [Int: [AuthorizationPolicyConfig]]
    /// Inbound and gateway listeners' RequestAuthentication, by port, key sets parsed once here.
    private let authenticators: [Int: JWTAuthenticator]
    /// Each listener's access logs, formats parsed and files open (by listener name; only listeners that log).
    private let accessLogs: [String: [PreparedAccessLog]]
    /// Each tracing listener's settings, by listener name.
    private let tracing: [String: TracingConfig]
    /// Listeners whose Istio metrics the Telemetry API turned off.
    private let metricsDisabled: Set<String>
    /// `REPORTER:METRIC` pairs not shown (Telemetry API overrides of single metrics).
    public let hiddenMetrics: Set<String>
    /// The Telemetry API's tag overrides, by the reporter whose listeners carry them.
    public let tagOverrides: [RequestSeries.Reporter: TagOverrides]
    /// Transparent capture's view: services by virtual IP and port, names to virtual IPs.
    public let capture: CaptureTable

    public init(_ configuration: ProxyConfiguration, accessLogFiles: AccessLogFiles? = nil) {
        self.configuration = configuration
        routeTables = Dictionary(configuration.routeTables.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        virtualHosts = routeTables.mapValues(VirtualHostIndex.init)
        endpoints = Dictionary(configuration.endpoints.map { ($0.cluster, $0.endpoints) }, uniquingKeysWith: { first, _ in first })
        weightedClusters = Set(configuration.endpoints.filter { group in group.endpoints.contains { $0.weight != group.endpoints.first?.weight } }.map(\.cluster))
        serverNames = Dictionary(configuration.clusters.filter { $0.tls.mode != .disable }.map { ($0.name, UpstreamTransport.serverName(of: $0)) },
                                 uniquingKeysWith: { first, _ in first })
        clusters = ClusterTable(configuration.clusters, endpoints: endpoints, serverNames: serverNames)
        peerAuthentications = Dictionary(configuration.listeners.filter { $0.direction == .inbound }.map { ($0.port, $0.peerAuthentication) },
                                         uniquingKeysWith: { first, _ in first })
        opaqueInbound = Dictionary(configuration.listeners.filter { $0.direction == .inbound && $0.protocolName == "TCP" }.map { ($0.port, $0.hosts.first ?? "") },
                                   uniquingKeysWith: { first, _ in first })
        http2Inbound = Set(configuration.listeners.filter { $0.direction == .inbound && $0.protocolName == "HTTP2" }.map(\.port))
        redirectedInbound = Dictionary(configuration.listeners.compactMap { listener in
            guard listener.direction == .inbound, let app = listener.appPort, app != listener.port else { return nil }
            return (listener.port, app)
        }, uniquingKeysWith: { first, _ in first })
        inboundConnectionPools = Dictionary(configuration.listeners.compactMap { listener in
            guard listener.direction == .inbound, let pool = listener.appConnectionPool else { return nil }
            return (listener.port, pool)
        }, uniquingKeysWith: { first, _ in first })
        sniffedInbound = Dictionary(configuration.listeners.filter { $0.direction == .inbound && $0.protocolName == "AUTO" }.map { ($0.port, $0) },
                                    uniquingKeysWith: { first, _ in first })
        outboundSNIRoutes = Dictionary(grouping: configuration.listeners.filter { $0.direction == .outbound }.flatMap(\.sniRoutes).filter { $0.port != nil },
                                       by: { $0.port ?? 0 })
        tunnelTCPRoutes = Dictionary(grouping: configuration.listeners.filter { $0.direction == .outbound }.flatMap(\.tunnelTCPRoutes), by: \.port)
        inboundDetectionTimeouts = Dictionary(configuration.listeners.compactMap { listener in
            listener.direction == .inbound ? listener.protocolDetectionTimeoutMs.map { (listener.port, $0) } : nil
        }, uniquingKeysWith: { first, _ in first })
        authorizations = Dictionary(configuration.listeners.filter { $0.direction != .outbound && !$0.authorization.isEmpty }.map { ($0.port, $0.authorization) },
                                    uniquingKeysWith: { first, _ in first })
        connectionAuthorizations = authorizations.mapValues { $0.compactMap(\.forConnections) }
        authenticators = Dictionary(configuration.listeners.filter { $0.direction != .outbound && !$0.requestAuthentication.isEmpty }
                                        .map { ($0.port, JWTAuthenticator(rules: $0.requestAuthentication)) }, uniquingKeysWith: { first, _ in first })
        var logs: [String: [PreparedAccessLog]] = [:]
        if let accessLogFiles {
            for listener in configuration.listeners where !listener.accessLogs.isEmpty {
                // Checked when the listeners were accepted (a NACK otherwise); what fails now is left out.
                let prepared = listener.accessLogs.compactMap { try? PreparedAccessLog($0, files: accessLogFiles) }
                if !prepared.isEmpty { logs[listener.name] = prepared }
            }
        }
        accessLogs = logs
        tracing = Dictionary(configuration.listeners.compactMap { listener in listener.tracing.map { (listener.name, $0) } }, uniquingKeysWith: { first, _ in first })
        metricsDisabled = Set(configuration.listeners.filter { $0.metrics?.disabled == true }.map(\.name))
        var overrides: [RequestSeries.Reporter: TagOverrides] = [:]
        for listener in configuration.listeners {
            guard let entries = listener.metrics?.tagOverrides, !entries.isEmpty else { continue }
            let reporter: RequestSeries.Reporter = listener.direction == .inbound ? .destination : .source
            if overrides[reporter] == nil {
                overrides[reporter] = TagOverrides(entries.map { TagOverrides.Entry(metric: $0.metric, tag: $0.tag, value: $0.value.map(TagExpression.init(parsing:))) })
            }
        }
        tagOverrides = overrides
        capture = CaptureTable(configuration, endpoints: endpoints)
        hiddenMetrics = Set(configuration.listeners.flatMap { listener in
            (listener.metrics?.disabledMetrics ?? []).map { "\(listener.direction == .inbound ? "destination" : "source"):\($0)" }
        })
    }

    /// Whether a listener records Istio's standard metrics (the Telemetry API may turn them off).
    func recordsMetrics(listener: String) -> Bool { metricsDisabled.isEmpty || !metricsDisabled.contains(listener) }

    /// How a listener traces its requests (nil: not at all).
    func tracing(listener: String) -> TracingConfig? { tracing.isEmpty ? nil : tracing[listener] }

    /// The access logs of a listener (none: requests are not logged).
    func accessLogs(listener: String) -> [PreparedAccessLog]? { accessLogs.isEmpty ? nil : accessLogs[listener] }

    /// What an inbound port lets in (PERMISSIVE when the configuration does not name the port).
    /// A port no container port declares (reached through transparent capture) takes the
    /// workload's own, from the `virtualInbound` listener.
    public func peerAuthentication(port: Int) -> PeerAuthenticationMode { peerAuthentications[port] ?? peerAuthentications[Self.virtualInboundPort] ?? .permissive }

    /// The app's port behind an inbound port (itself unless a Sidecar ingress listener says otherwise).
    public func inboundAppPort(_ port: Int) -> Int { redirectedInbound.isEmpty ? port : redirectedInbound[port] ?? port }

    /// The limits on an inbound port's connections to the app (none unless a Sidecar sets them).
    public func inboundConnectionPool(_ port: Int) -> ConnectionPoolPolicy {
        inboundConnectionPools.isEmpty ? .unlimited : inboundConnectionPools[port] ?? .unlimited
    }

    /// Whether requests to the app on an inbound port go as HTTP/2 (h2c).
    public func inboundSpeaksHTTP2(port: Int) -> Bool { !http2Inbound.isEmpty && http2Inbound.contains(port) }

    /// For an inbound port carried as TCP, the host of the service it serves (may be empty); nil for HTTP.
    public func opaqueInboundService(port: Int) -> String? { opaqueInbound.isEmpty ? nil : opaqueInbound[port] }

    /// For an inbound port whose protocol no Service port declares, its listener (sniffed); nil otherwise.
    public func sniffedInboundListener(port: Int) -> ListenerConfig? {
        if sniffedInbound.isEmpty { return nil }
        return sniffedInbound[port] ?? (peerAuthentications[port] == nil ? sniffedInbound[Self.virtualInboundPort] : nil)
    }

    /// How long an inbound port waits for a client's first bytes before the connection goes on as
    /// plaintext (MeshConfig `protocolDetectionTimeout`); nil: it waits for them.
    public func inboundDetectionTimeoutMs(port: Int) -> Int? { inboundDetectionTimeouts.isEmpty ? nil : inboundDetectionTimeouts[port] }

    /// The `tls` routes a CONNECT tunnel to `port` is routed by (its ClientHello's server name); empty: by authority only.
    public func outboundSNIRoutes(port: Int) -> [SNIRoute] { outboundSNIRoutes.isEmpty ? [] : outboundSNIRoutes[port] ?? [] }

    /// Where a CONNECT tunnel to `host:port` goes by the VirtualService `tcp` routes (the first that
    /// takes it); nil: routed by authority as a request is.
    public func tunnelTCPDestinations(host: String, port: Int) -> [WeightedCluster]? {
        guard !tunnelTCPRoutes.isEmpty, let routes = tunnelTCPRoutes[port] else { return nil }
        let name = host.lowercased()
        return routes.first { $0.matches(host: name) }?.destinations
    }

    /// A listener of this configuration by name.
    public func listener(named name: String) -> ListenerConfig? { configuration.listeners.first { $0.name == name } }

    /// The AuthorizationPolicies enforced on an inbound or gateway port (none: everything is allowed).
    public func authorization(port: Int) -> [AuthorizationPolicyConfig] { authorizations[port] ?? authorizations[Self.virtualInboundPort] ?? [] }

    /// The AuthorizationPolicies of an inbound or gateway port as a TCP connection is judged by them (none: every connection passes).
    public func connectionAuthorization(port: Int) -> [AuthorizationPolicyConfig] {
        connectionAuthorizations[port] ?? connectionAuthorizations[Self.virtualInboundPort] ?? []
    }

    /// The RequestAuthentication of an inbound or gateway port (nil: no rules, every request passes unauthenticated).
    public func authenticator(port: Int) -> JWTAuthenticator? { authenticators[port] ?? authenticators[Self.virtualInboundPort] }

    /// Transparent capture's inbound port, whose listener holds what undeclared ports get.
    static let virtualInboundPort = 15006

    public var version: String { configuration.version }
}

/// Holds the active configuration; readers take a snapshot per request, the discovery client swaps it.
public final class ConfigurationStore: Sendable {
    private let current: NIOLockedValueBox<ActiveConfiguration>
    /// The files every version's access logs write to.
    public let accessLogFiles: AccessLogFiles

    public init(_ initial: ProxyConfiguration = .empty, accessLogFiles: AccessLogFiles = AccessLogFiles()) {
        self.accessLogFiles = accessLogFiles
        current = NIOLockedValueBox(ActiveConfiguration(initial, accessLogFiles: accessLogFiles))
    }

    /// One more with each install. A reader that kept the configuration it read while this was `g`
    /// still holds the current one while this reads `g`: an atomic load where `active` takes a lock
    /// (a connection's requests check this, and read `active` only after a push).
    private let installs = Synchronization.Atomic<Int>(0)

    public var active: ActiveConfiguration { current.withLockedValue { $0 } }

    /// Read before `active`: if an install lands between the two, the next read sees a newer generation.
    public var generation: Int { installs.load(ordering: .acquiring) }

    public func install(_ configuration: ProxyConfiguration) {
        let indexed = ActiveConfiguration(configuration, accessLogFiles: accessLogFiles)
        current.withLockedValue {
            $0 = indexed
            installs.add(1, ordering: .releasing)
        }
    }
}
