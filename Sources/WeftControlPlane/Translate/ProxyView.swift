import WeftAPI
import WeftModel

/// Who a proxy is: identity, place and role. Sidecars register with this when they connect.
public struct ProxyIdentity: Sendable, Hashable, Codable {
    /// A sidecar beside one workload, or a router (ingress/egress gateway).
    public enum Mode: String, Sendable, Hashable, Codable { case sidecar, router }
    public var id: String
    public var namespace: String
    public var labels: [String: String]
    public var serviceAccount: String
    public var mode: Mode
    /// A sidecar's container ports (its inbound listeners), by name.
    public var ports: [String: Int]

    public init(id: String, namespace: String, labels: [String: String], serviceAccount: String = "default", mode: Mode = .sidecar, ports: [String: Int] = [:]) {
        self.id = id
        self.namespace = namespace
        self.labels = labels
        self.serviceAccount = serviceAccount
        self.mode = mode
        self.ports = ports
    }
}

/// Everything one proxy's configuration depends on, and nothing else: the translators' only
/// input and the cache key of their output (Istio's PushContext bug class cannot happen here).
public struct ProxyView: Sendable, Hashable {
    public var proxy: ProxyIdentity
    /// Services this proxy may see (exportTo and Sidecar egress applied), sorted by host.
    public var services: [MeshService]
    /// Endpoints of each visible service port, keyed `host|port`.
    public var endpoints: [String: [ServiceEndpoint]]
    /// VirtualServices visible to this proxy, oldest rule first (by namespace, then name).
    public var virtualServices: [VirtualService]
    /// DestinationRules visible to this proxy.
    public var destinationRules: [DestinationRule]
    /// For routers: the Gateways whose selector picks this proxy.
    public var gateways: [Gateway]
    /// For routers: Service port → target port, from the Services in the router's namespace that
    /// select it. A Gateway server port equal to a Service port listens on its target port, as
    /// Istio's stock ingress turns 80 into 8080.
    public var gatewayServicePorts: [Int: Int] = [:]
    /// A sidecar's container ports that a selecting Service declares, with that service's host and
    /// the port's protocol (nil: not declared, so HTTP as before protocol detection).
    public var inboundServicePorts: [Int: InboundServicePort] = [:]
    /// For routers: the Secrets of the router's namespace its Gateways' servers name by
    /// `credentialName` (and each one's `NAME-cacert`), by name. Nothing else's credentials.
    public var gatewaySecrets: [String: Secret] = [:]
    /// The egress listeners of the Sidecar resource that applies to a sidecar.
    public var egressListeners: [SidecarSpec.EgressListener] = []
    /// Its ingress listeners: a port of the workload forwarded to `defaultEndpoint`'s port.
    public var ingressListeners: [SidecarSpec.IngressListener] = []
    /// The Sidecar's `inboundConnectionPool`: limits on the connections to the app.
    public var inboundConnectionPool: ConnectionPoolSettings?

    /// The service a container port serves, and the protocol its Service port declares.
    public struct InboundServicePort: Sendable, Hashable {
        public var host: String
        public var protocolName: String?
    }
    /// ALLOW_ANY (passthrough) or REGISTRY_ONLY for hosts outside the registry.
    public var allowAny: Bool
    /// The Sidecar's `outboundTrafficPolicy.egressProxy` (ALLOW_ANY only): unknown hosts' destination.
    public var egressProxy: Destination?
    public var rootNamespace: String
    /// Every PeerAuthentication: the proxy's own inbound ports, and which endpoints take mutual TLS.
    public var peerAuthentication: PeerAuthenticationPolicies = .none
    /// The AuthorizationPolicies that apply to this proxy's workload.
    public var authorizationPolicies: [AuthorizationPolicy] = []
    /// MeshConfig's extension providers (a CUSTOM policy's external authorizer is one).
    public var extensionProviders: [MeshConfig.ExtensionProvider] = []
    /// The RequestAuthentications that apply to this proxy's workload.
    public var requestAuthentications: [RequestAuthentication] = []
    /// The key sets those name by `jwksUri`, as last fetched (a URI not fetched yet is absent).
    public var jwks: [String: String] = [:]
    /// MeshConfig `protocolDetectionTimeout`: how long a port whose protocol is not declared waits
    /// for the client's first bytes before it is carried as TCP (nil: as long as it takes, Istio's default).
    public var protocolDetectionTimeoutMs: Int?
    /// MeshConfig `trustDomain` (default cluster.local): the domain of the SPIFFE identities.
    public var trustDomain = "cluster.local"
    /// Access logs, tracing and metric overrides of the proxy's outbound and gateway listeners
    /// (Telemetry API mode CLIENT), and of its inbound ones (SERVER).
    public var clientTelemetry = TelemetryTranslator.Settings(tracing: nil, accessLogs: [], metrics: nil)
    public var serverTelemetry = TelemetryTranslator.Settings(tracing: nil, accessLogs: [], metrics: nil)
    /// The mesh-wide locality load balancing setting (Istio's default: enabled).
    public var localityLbSetting: LocalityLoadBalancerSetting? = LocalityLoadBalancerSetting(enabled: true)

    public func service(_ hostname: String) -> MeshService? { services.first { $0.hostname == hostname } }
}

/// Slices the mesh to what one proxy may see: exportTo, then the Sidecar resource's egress hosts.
/// Reads the state's indexes; it never rescans resources or rebuilds the registry.
public enum ProxyViewBuilder {
    public static func build(proxy: ProxyIdentity, state: MeshState) -> ProxyView {
        let index = state.index
        let meshConfig = state.meshConfig
        let rootNamespace = meshConfig.rootNamespace ?? "istio-system"
        func visible(_ exportTo: [String]?, namespace: String) -> Bool {
            let list = exportTo ?? []
            return list.isEmpty || list.contains("*") || list.contains(proxy.namespace) || (list.contains(".") && namespace == proxy.namespace)
        }
        let scope = SidecarScope(proxy: proxy, index: index, rootNamespace: rootNamespace)
        let virtualServices = scope.virtualServices(index.virtualServices.filter { visible($0.spec.exportTo, namespace: $0.namespace) })
        let services = scope.services(state.registry.services.filter { $0.isVisible(from: proxy.namespace) }, routedBy: virtualServices)
        var endpoints: [String: [ServiceEndpoint]] = [:]
        for service in services {
            for port in service.ports {
                let key = "\(service.hostname)|\(port.number)"
                endpoints[key] = state.endpoints[key] ?? []
            }
        }
        let destinationRules = index.destinationRules
            .filter { visible($0.spec.exportTo, namespace: $0.namespace) }
            .filter { rule in rule.spec.workloadSelector.map { selector in (selector.matchLabels ?? [:]).allSatisfy { proxy.labels[$0.key] == $0.value } && rule.namespace == proxy.namespace } ?? true }
        let gateways = proxy.mode == .router ? index.gateways.filter { gateway in (gateway.spec.selector ?? [:]).allSatisfy { proxy.labels[$0.key] == $0.value } } : []
        var allowAny = meshConfig.outboundTrafficPolicy?.mode != .REGISTRY_ONLY
        if let mode = scope.sidecar?.spec.outboundTrafficPolicy?.mode { allowAny = mode == .ALLOW_ANY }
        var view = ProxyView(proxy: proxy, services: services, endpoints: endpoints, virtualServices: virtualServices, destinationRules: destinationRules,
                             gateways: gateways, allowAny: allowAny, rootNamespace: rootNamespace)
        if allowAny { view.egressProxy = scope.sidecar?.spec.outboundTrafficPolicy?.egressProxy }
        if let locality = meshConfig.localityLbSetting { view.localityLbSetting = locality }
        if let timeout = meshConfig.protocolDetectionTimeout, timeout.nanoseconds > 0 {
            view.protocolDetectionTimeoutMs = Int(max(1, timeout.nanoseconds / 1_000_000))
        }
        view.peerAuthentication = index.peerAuthentication
        view.extensionProviders = meshConfig.extensionProviders ?? []
        view.authorizationPolicies = index.authorizationPolicies.filter {
            AuthorizationTranslator.applies($0, to: proxy, rootNamespace: rootNamespace, services: state.registry.services)
        }
        view.requestAuthentications = index.requestAuthentications.filter {
            WorkloadPolicyScope.applies(namespace: $0.namespace, selector: $0.spec.selector, targetRefs: ($0.spec.targetRefs ?? []) + ($0.spec.targetRef.map { [$0] } ?? []),
                                        to: proxy, rootNamespace: rootNamespace, services: state.registry.services)
        }
        for uri in view.requestAuthentications.flatMap({ $0.spec.jwtRules ?? [] }).compactMap(\.jwksUri) where view.jwks[uri] == nil {
            if let keys = state.jwks[uri] { view.jwks[uri] = keys }
        }
        view.trustDomain = meshConfig.trustDomain ?? "cluster.local"
        let telemetries = TelemetryTranslator.applicable(index.telemetries, proxy: proxy, rootNamespace: rootNamespace, services: state.registry.services)
        let proxyMesh = TelemetryTranslator.withProxyConfigAnnotation(meshConfig, index.proxyConfigAnnotations, proxy: proxy)
        view.clientTelemetry = TelemetryTranslator.settings(telemetries, mode: .CLIENT, meshConfig: proxyMesh, builtInCollector: state.builtInCollector)
        view.serverTelemetry = TelemetryTranslator.settings(telemetries, mode: .SERVER, meshConfig: proxyMesh, builtInCollector: state.builtInCollector)
        if proxy.mode == .router {
            view.gatewayServicePorts = gatewayServicePorts(of: proxy, registry: state.registry)
            let serverCredentials = gateways.flatMap { $0.spec.servers ?? [] }.flatMap { GatewayTLSTranslator.credentialNames($0.tls) }
            // DestinationRules the gateway applies may originate TLS with a credential of its namespace too.
            let clientCredentials = destinationRules.flatMap { rule -> [String] in
                let policies = [rule.spec.trafficPolicy] + (rule.spec.subsets ?? []).map(\.trafficPolicy)
                return policies.compactMap { $0 }.flatMap { policy in [policy.tls] + (policy.portLevelSettings ?? []).map(\.tls) }
                    .compactMap { $0?.credentialName }.filter { !$0.isEmpty }.map(GatewayTLSTranslator.secretName)
            }
            for name in serverCredentials + clientCredentials {
                for candidate in [name, name + GatewayTLSTranslator.caSecretSuffix] {
                    if let secret = index.secrets["\(proxy.namespace)/\(candidate)"] { view.gatewaySecrets[candidate] = secret }
                }
            }
        }
        if proxy.mode == .sidecar {
            view.inboundServicePorts = inboundServicePorts(of: proxy, registry: state.registry)
            view.egressListeners = scope.sidecar?.spec.egress ?? []
            view.ingressListeners = scope.sidecar?.spec.ingress ?? []
            view.inboundConnectionPool = scope.sidecar?.spec.inboundConnectionPool
        }
        return view
    }

    /// The Kubernetes Services of the proxy's namespace whose selector picks it, by host.
    private static func selectingServices(of proxy: ProxyIdentity, registry: ServiceRegistry) -> [MeshService] {
        registry.services.filter { service in
            guard service.origin == .kubernetes, service.namespace == proxy.namespace, let selector = service.selector, !selector.isEmpty else { return false }
            return selector.allSatisfy { proxy.labels[$0.key] == $0.value }
        }.sorted { $0.hostname < $1.hostname }
    }

    /// Container port → the first selecting service port that targets it (its number, or its name
    /// among the container's named ports).
    private static func inboundServicePorts(of proxy: ProxyIdentity, registry: ServiceRegistry) -> [Int: ProxyView.InboundServicePort] {
        var ports: [Int: ProxyView.InboundServicePort] = [:]
        for service in selectingServices(of: proxy, registry: registry) {
            for port in service.ports {
                let target: Int?
                switch port.targetPort {
                case .number(let number)?: target = number
                case .name(let name)?: target = proxy.ports[name]
                case nil: target = port.number
                }
                guard let target, ports[target] == nil else { continue }
                ports[target] = ProxyView.InboundServicePort(host: service.hostname, protocolName: port.protocolName)
            }
        }
        return ports
    }

    /// MeshConfig's access log: on for every proxy once `accessLogFile` names a file.
    static func meshAccessLogs(_ meshConfig: MeshConfig) -> [AccessLogConfig] {
        guard let file = meshConfig.accessLogFile, !file.isEmpty else { return [] }
        return [AccessLogConfig(path: file, encoding: meshConfig.accessLogEncoding == .JSON ? .json : .text, format: meshConfig.accessLogFormat ?? "")]
    }

    private static func gatewayServicePorts(of proxy: ProxyIdentity, registry: ServiceRegistry) -> [Int: Int] {
        var ports: [Int: Int] = [:]
        for service in selectingServices(of: proxy, registry: registry) {
            for port in service.ports where ports[port.number] == nil {
                switch port.targetPort {
                case .number(let target)?: ports[port.number] = target
                case nil: ports[port.number] = port.number
                case .name?: continue
                }
            }
        }
        return ports
    }
}
