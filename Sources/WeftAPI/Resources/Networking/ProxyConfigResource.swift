/// Istio's ProxyConfig resource: per-workload proxy settings.
public typealias ProxyConfigResource = IstioObject<ProxyConfigSpec>

/// `networking.istio.io/v1beta1` ProxyConfig spec (proxy_config.proto).
public struct ProxyConfigSpec: IstioSpec {
    public static let resourceType = ResourceType(group: "networking.istio.io", kind: "ProxyConfig", versions: ["v1beta1"], plural: "proxyconfigs")
    /// Which proxy image flavour to run.
    public struct ProxyImage: Codable, Sendable, Hashable { public var imageType: String? }
    public var selector: WorkloadSelector?
    public var concurrency: Int?
    public var environmentVariables: [String: String]?
    public var image: ProxyImage?
    public init() {}
}
