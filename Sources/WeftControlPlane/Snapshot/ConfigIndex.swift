import WeftAPI
import WeftModel

/// What one revision's configuration says, sorted by kind and namespace once, when the snapshot is
/// made: the routing and scoping resources, the effective MeshConfig, and the part of the registry
/// that config alone gives (Services, ServiceEntries, WorkloadEntries). Views read these lists;
/// nothing rescans every resource by type per proxy.
public struct ConfigIndex: Sendable {
    /// VirtualServices, oldest rule first (namespace, then name).
    public let virtualServices: [VirtualService]
    /// DestinationRules, by namespace, then name.
    public let destinationRules: [DestinationRule]
    /// Gateways, by namespace, then name.
    public let gateways: [Gateway]
    /// Sidecar resources of each namespace, by name.
    public let sidecarsByNamespace: [String: [Sidecar]]
    /// The `istio` ConfigMap's `mesh` document, or the defaults.
    public let meshConfig: MeshConfig
    /// Services from Kubernetes Services and ServiceEntries.
    public let services: [MeshService]
    /// Workloads from ServiceEntry endpoints and WorkloadEntries.
    public let workloads: [WorkloadInstance]
    /// AuthorizationPolicies, by namespace, then name.
    public let authorizationPolicies: [AuthorizationPolicy]
    /// RequestAuthentications, by namespace, then name.
    public let requestAuthentications: [RequestAuthentication]
    /// PeerAuthentications, resolved per workload and port with Istio's precedence.
    public let peerAuthentication: PeerAuthenticationPolicies
    /// Telemetry resources, by namespace, then name.
    public let telemetries: [Telemetry]
    /// Secrets by `namespace/name` (gateway credentials; never sent to a proxy that names none).
    public let secrets: [String: Secret]
    /// Deployments whose pods carry `proxy.istio.io/config`: namespace, pod labels, the ProxyConfig.
    public let proxyConfigAnnotations: [(namespace: String, labels: [String: String], config: MeshProxyConfig)]

    public init(_ resources: [any APIResource]) {
        func sorted<T: APIResource>(_ type: T.Type) -> [T] {
            resources.compactMap { $0 as? T }.sorted { ($0.namespace, $0.name) < ($1.namespace, $1.name) }
        }
        virtualServices = sorted(VirtualService.self)
        destinationRules = sorted(DestinationRule.self)
        gateways = sorted(Gateway.self)
        sidecarsByNamespace = Dictionary(grouping: sorted(Sidecar.self), by: \.namespace)
        meshConfig = MeshConfigSource.meshConfig(in: resources)
        services = RegistryBuilder.services(resources)
        workloads = RegistryBuilder.workloads(resources)
        authorizationPolicies = sorted(AuthorizationPolicy.self)
        requestAuthentications = sorted(RequestAuthentication.self)
        telemetries = sorted(Telemetry.self)
        secrets = Dictionary(sorted(Secret.self).map { ("\($0.namespace)/\($0.name)", $0) }, uniquingKeysWith: { first, _ in first })
        proxyConfigAnnotations = sorted(Deployment.self).compactMap { deployment in
            guard let template = deployment.spec?.template?.metadata, let labels = template.labels, !labels.isEmpty,
                  let text = template.annotations?[MeshConfigDocument.proxyConfigAnnotation],
                  let config = try? MeshConfigDocument.decodeProxyConfig(text) else { return nil }
            return (deployment.namespace, labels, config)
        }
        peerAuthentication = PeerAuthenticationPolicies(resources.compactMap { $0 as? PeerAuthentication }, rootNamespace: meshConfig.rootNamespace ?? "istio-system")
    }

    public static let empty = ConfigIndex([])
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
