/// One of istioctl's analyzers: a named check over the whole input that reports messages.
public protocol Analyzer: Sendable {
    /// istioctl's name, such as `virtualservice.GatewayAnalyzer`.
    var name: String { get }
    var summary: String { get }
    func analyze(_ context: AnalysisContext) -> [AnalysisMessage]
}

/// Istio analyzers that have no meaning for processes on hosts, listed by `weft analyze -L`.
public struct SkippedAnalyzer: Sendable {
    public var name: String
    public var reason: String
}

/// The analyzers Weft runs, and those it lists as skipped.
public enum Analyzers {
    public static let all: [any Analyzer] = [
        SchemaValidationAnalyzer(),
        DeprecationAnalyzer(),
        VirtualServiceGatewayAnalyzer(),
        ConflictingMeshGatewayHostsAnalyzer(),
        DestinationHostAnalyzer(),
        VirtualServiceDestinationRuleAnalyzer(),
        JWTClaimRouteAnalyzer(),
        ConflictingGatewayAnalyzer(),
        IngressGatewayPortAnalyzer(),
        GatewaySecretAnalyzer(),
        GatewayCertificateAnalyzer(),
        CaCertificateAnalyzer(),
        PodNotSelectedAnalyzer(),
        SidecarSelectorAnalyzer(),
        AuthorizationPoliciesAnalyzer(),
        JWKSFetchAnalyzer(),
        BlockedCIDRsAnalyzer(),
        ServiceEntryProtocolAddressesAnalyzer(),
        ConflictingServiceEntryProtocolAnalyzer(),
        TelemetryProviderAnalyzer(),
        TelemetrySelectorAnalyzer(),
        TelemetryDefaultSelectorAnalyzer(),
        TelemetryLightstepAnalyzer(),
        PortNameAnalyzer(),
        ServiceAssociationAnalyzer(),
        InjectionAnalyzer(),
        AnnotationsAnalyzer(),
    ]

    public static let skipped: [SkippedAnalyzer] = [
        SkippedAnalyzer(name: "injection.ImageAnalyzer", reason: "there are no proxy images: the proxy is part of the weft executable"),
        SkippedAnalyzer(name: "injection.ImageAutoAnalyzer", reason: "there are no proxy images: the proxy is part of the weft executable"),
        SkippedAnalyzer(name: "webhook.Analyzer", reason: "Weft has no admission webhooks; resources are validated when applied"),
        SkippedAnalyzer(name: "envoyfilter.EnvoyPatchAnalyzer", reason: "EnvoyFilter is not supported by Weft (the proxy is not Envoy)"),
        SkippedAnalyzer(name: "k8sgateway.SelectorAnalyzer", reason: "the Kubernetes Gateway API is not supported yet"),
        SkippedAnalyzer(name: "k8sgateway.CRDVersionAnalyzer", reason: "there are no CRDs outside Kubernetes"),
        SkippedAnalyzer(name: "externalcontrolplane.ExternalControlPlaneAnalyzer", reason: "webhook URLs of an external istiod have no counterpart"),
        SkippedAnalyzer(name: "multicluster.MeshNetworksAnalyzer", reason: "multi-cluster service registries are not supported yet"),
        SkippedAnalyzer(name: "maturity.AlphaAnalyzer", reason: "annotations are not used to configure Weft's proxy"),
        SkippedAnalyzer(name: "conditions.ConditionAnalyzer", reason: "resource status conditions are written by Kubernetes controllers"),
        SkippedAnalyzer(name: "deployment.ApplicationUIDAnalyzer", reason: "UID 1337 is reserved for Envoy's iptables capture, which Weft does not use"),
    ]

    /// An analyzer by istioctl's name; `schema.ValidationAnalyzer.<Kind>` limits schema checks to one kind.
    public static func named(_ name: String) -> (any Analyzer)? {
        let schemaPrefix = "schema.ValidationAnalyzer."
        if name.hasPrefix(schemaPrefix) { return SchemaValidationAnalyzer(kind: String(name.dropFirst(schemaPrefix.count))) }
        return all.first { $0.name == name }
    }

    /// Runs the given analyzers (all by default) and returns their messages in a stable order.
    public static func run(_ input: AnalysisInput, only: [any Analyzer] = all) -> [AnalysisMessage] {
        let context = AnalysisContext(input)
        return only.flatMap { $0.analyze(context) }.sorted { lhs, rhs in
            (lhs.resource.testKey, lhs.type.code, lhs.text) < (rhs.resource.testKey, rhs.type.code, rhs.text)
        }
    }
}
