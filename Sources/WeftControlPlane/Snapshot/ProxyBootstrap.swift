import WeftAPI

/// What a proxy must know before it starts, which no pushed configuration can change (Istio's
/// injector writes it into the pod: `--concurrency`): resolved for one workload from the mesh's
/// resources with Istio's precedence (`EffectiveProxyConfig`), highest first: a ProxyConfig
/// selecting the workload, the pod's `proxy.istio.io/config` annotation, the namespace's
/// ProxyConfig, the root namespace's, MeshConfig `defaultConfig` (the `istio` ConfigMap, or an
/// IstioOperator's `meshConfig`), an IstioOperator's `values.global.proxy`, then Istio's default.
public struct ProxyBootstrap: Sendable, Equatable {
    /// Event loops (Envoy's worker threads); 0 is one per core.
    public var concurrency: Int
    /// A gateway's place behind other proxies: the pod's annotation over MeshConfig `defaultConfig`
    /// field by field (a ProxyConfig resource has no such field); nil when neither sets it.
    public var gatewayTopology: GatewayTopology?

    public init(concurrency: Int, gatewayTopology: GatewayTopology? = nil) {
        self.concurrency = concurrency
        self.gatewayTopology = gatewayTopology
    }

    /// Istio's default when nothing sets it: two worker threads.
    public static let defaultConcurrency = 2

    /// `annotation`: the pod template's `proxy.istio.io/config`, when it has one.
    public static func resolve(namespace: String, labels: [String: String], annotation: MeshProxyConfig?, resources: [any APIResource]) -> ProxyBootstrap {
        let meshConfig = MeshConfigSource.meshConfig(in: resources)
        let root = meshConfig.rootNamespace ?? "istio-system"
        let operators = resources.compactMap { $0 as? IstioOperator }.sorted { ($0.namespace, $0.name) < ($1.namespace, $1.name) }
        // Istio takes the oldest of equals; apply order is not kept, so names decide.
        let proxyConfigs = resources.compactMap { $0 as? ProxyConfigResource }.sorted { ($0.namespace, $0.name) < ($1.namespace, $1.name) }
        func namespaceWide(_ name: String) -> Int? {
            proxyConfigs.first { $0.namespace == name && ($0.spec.selector?.matchLabels ?? [:]).isEmpty }?.spec.concurrency
        }
        let selecting = proxyConfigs.first { config in
            guard config.namespace == namespace, let wanted = config.spec.selector?.matchLabels, !wanted.isEmpty else { return false }
            return wanted.allSatisfy { labels[$0.key] == $0.value }
        }
        let ordered: [Int?] = [
            selecting?.spec.concurrency,
            annotation?.concurrency,
            namespace == root ? nil : namespaceWide(namespace),
            namespaceWide(root),
            meshConfig.defaultConfig?.concurrency,
            operators.lazy.compactMap { $0.spec?.meshConfig?.defaultConfig?.concurrency }.first,
            operators.lazy.compactMap { Self.valuesConcurrency($0) }.first,
        ]
        let meshTopology = meshConfig.defaultConfig?.gatewayTopology
            ?? operators.lazy.compactMap { $0.spec?.meshConfig?.defaultConfig?.gatewayTopology }.first
        let topology = meshTopology.map { $0.merging(annotation?.gatewayTopology) } ?? annotation?.gatewayTopology
        return ProxyBootstrap(concurrency: ordered.lazy.compactMap { $0 }.first ?? defaultConcurrency, gatewayTopology: topology)
    }

    /// The `proxy.istio.io/config` of the Deployment whose pod template's labels the proxy has, in
    /// its namespace (the first by name); nil when none has one that decodes.
    public static func deploymentAnnotation(namespace: String, labels: [String: String], resources: [any APIResource]) -> MeshProxyConfig? {
        resources.compactMap { $0 as? Deployment }.filter { $0.namespace == namespace }.sorted { $0.name < $1.name }.lazy.compactMap { deployment -> MeshProxyConfig? in
            guard let template = deployment.spec?.template?.metadata, let wanted = template.labels, !wanted.isEmpty,
                  wanted.allSatisfy({ labels[$0.key] == $0.value }),
                  let text = template.annotations?[MeshConfigDocument.proxyConfigAnnotation] else { return nil }
            return try? MeshConfigDocument.decodeProxyConfig(text)
        }.first
    }

    /// `values.global.proxy.concurrency` of an IstioOperator (Helm values, kept as written).
    static func valuesConcurrency(_ installation: IstioOperator) -> Int? {
        guard case .object(let proxy)? = installation.spec?.values?.global?.proxy, let value = proxy["concurrency"] else { return nil }
        switch value {
        case .int(let number): return number
        case .double(let number) where number == number.rounded(): return Int(number)
        case .string(let text): return Int(text)
        default: return nil
        }
    }
}
