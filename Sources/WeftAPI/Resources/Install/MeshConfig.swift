/// Istio's MeshConfig (mesh/v1alpha1/config.proto): mesh-wide defaults, found in the `istio`
/// ConfigMap's `mesh` document and in IstioOperator's `spec.meshConfig`.
public struct MeshConfig: Codable, Sendable, Hashable {
    /// Access log encodings.
    public enum AccessLogEncoding: String, APIEnum { case TEXT, JSON }
    /// What happens to traffic for hosts outside the registry.
    public struct OutboundTrafficPolicy: Codable, Sendable, Hashable {
        /// REGISTRY_ONLY blocks unknown hosts; ALLOW_ANY passes them through.
        public enum Mode: String, APIEnum { case REGISTRY_ONLY, ALLOW_ANY }
        public var mode: Mode?
        public init(mode: Mode? = nil) { self.mode = mode }
    }
    /// Which providers are on by default.
    public struct DefaultProviders: Codable, Sendable, Hashable {
        public var tracing: [String]?
        public var metrics: [String]?
        public var accessLogging: [String]?
    }
    /// One extension provider: a name and exactly one provider body.
    public struct ExtensionProvider: Codable, Sendable, Hashable {
        public var name: String?
        public var envoyExtAuthzHttp: AnyValue?
        public var envoyExtAuthzGrpc: AnyValue?
        public var zipkin: AnyValue?
        public var lightstep: AnyValue?
        public var datadog: AnyValue?
        public var stackdriver: AnyValue?
        public var opencensus: AnyValue?
        public var skywalking: AnyValue?
        public var opentelemetry: AnyValue?
        public var prometheus: AnyValue?
        public var envoyFileAccessLog: AnyValue?
        public var envoyHttpAls: AnyValue?
        public var envoyTcpAls: AnyValue?
        public var envoyOtelAls: AnyValue?
        public var sds: AnyValue?
    }
    /// A config source address.
    public struct ConfigSource: Codable, Sendable, Hashable {
        public var address: String?
        public var tlsSettings: ClientTLSSettings?
        public var subscribedResources: [String]?
    }
    /// Mesh-wide mTLS defaults.
    public struct TLSConfig: Codable, Sendable, Hashable {
        public var minProtocolVersion: String?
        public var ecdhCurves: [String]?
        public var cipherSuites: [String]?
    }
    /// Per-service settings by host.
    public struct ServiceSettings: Codable, Sendable, Hashable {
        /// The settings themselves.
        public struct Settings: Codable, Sendable, Hashable {
            public var clusterLocal: Bool?
        }
        public var settings: Settings?
        public var hosts: [String]?
    }
    /// How request paths are normalised before matching.
    public struct PathNormalization: Codable, Sendable, Hashable {
        /// Normalisation levels.
        public enum Normalization: String, APIEnum { case DEFAULT, NONE, BASE, MERGE_SLASHES, DECODE_AND_MERGE_SLASHES }
        public var normalization: Normalization?
    }

    public var proxyListenPort: Int?
    public var proxyInboundListenPort: Int?
    public var proxyHttpPort: Int?
    public var connectTimeout: IstioDuration?
    public var protocolDetectionTimeout: IstioDuration?
    public var tcpKeepalive: ConnectionPoolSettings.TCPSettings.Keepalive?
    public var ingressClass: String?
    public var ingressService: String?
    public var ingressControllerMode: String?
    public var ingressSelector: String?
    public var enableTracing: Bool?
    public var accessLogFile: String?
    public var accessLogFormat: String?
    public var accessLogEncoding: AccessLogEncoding?
    public var enableEnvoyAccessLogService: Bool?
    public var disableEnvoyListenerLog: Bool?
    public var defaultConfig: MeshProxyConfig?
    public var outboundTrafficPolicy: OutboundTrafficPolicy?
    public var inboundTrafficPolicy: AnyValue?
    public var configSources: [ConfigSource]?
    public var enableAutoMtls: Bool?
    public var trustDomain: String?
    public var trustDomainAliases: [String]?
    public var caCertificates: [AnyValue]?
    public var defaultServiceExportTo: [String]?
    public var defaultVirtualServiceExportTo: [String]?
    public var defaultDestinationRuleExportTo: [String]?
    public var rootNamespace: String?
    public var localityLbSetting: LocalityLoadBalancerSetting?
    public var dnsRefreshRate: IstioDuration?
    public var h2UpgradePolicy: ConnectionPoolSettings.HTTPSettings.H2UpgradePolicy?
    public var inboundClusterStatName: String?
    public var outboundClusterStatName: String?
    public var certificates: [AnyValue]?
    public var serviceSettings: [ServiceSettings]?
    public var enablePrometheusMerge: Bool?
    public var verifyCertificateAtClient: Bool?
    public var ca: AnyValue?
    public var extensionProviders: [ExtensionProvider]?
    public var defaultProviders: DefaultProviders?
    public var discoverySelectors: [LabelSelector]?
    public var pathNormalization: PathNormalization?
    public var defaultHttpRetryPolicy: HTTPRetry?
    public var meshMTLS: TLSConfig?
    public var tlsDefaults: TLSConfig?
    public var thriftConfig: AnyValue?
    public var mixerCheckServer: String?
    public var mixerReportServer: String?
    public var disablePolicyChecks: Bool?
    public var policyCheckFailOpen: Bool?
    public var sidecarToTelemetrySessionAffinity: Bool?
    public var enableSdsTokenMount: Bool?
    public var sdsUdsPath: String?
    public var authPolicy: String?
    public var ambientMesh: AnyValue?
    public var serviceScopeConfigs: AnyValue?
    public init() {}
}

/// The proxy defaults inside MeshConfig (`defaultConfig`, mesh/v1alpha1/proxy.proto).
public struct MeshProxyConfig: Codable, Sendable, Hashable {
    /// Tracer settings; exactly one tracer is set.
    public struct Tracing: Codable, Sendable, Hashable {
        /// A Zipkin collector address.
        public struct Zipkin: Codable, Sendable, Hashable { public var address: String? }
        public var zipkin: Zipkin?
        public var lightstep: AnyValue?
        public var datadog: AnyValue?
        public var stackdriver: AnyValue?
        public var openCensusAgent: AnyValue?
        public var customTags: [String: AnyValue]?
        public var maxPathTagLength: Int?
        public var sampling: Double?
        public var tlsSettings: ClientTLSSettings?
        public init() {}
    }
    public var configPath: String?
    public var binaryPath: String?
    public var serviceCluster: String?
    public var drainDuration: IstioDuration?
    public var parentShutdownDuration: IstioDuration?
    public var discoveryAddress: String?
    public var discoveryRefreshDelay: IstioDuration?
    public var zipkinAddress: String?
    public var statsdUdpAddress: String?
    public var envoyMetricsServiceAddress: String?
    public var proxyAdminPort: Int?
    public var availabilityZone: String?
    public var controlPlaneAuthPolicy: String?
    public var customConfigFile: String?
    public var statNameLength: Int?
    public var concurrency: Int?
    public var proxyBootstrapTemplatePath: String?
    public var interceptionMode: String?
    public var tracing: Tracing?
    public var sds: AnyValue?
    public var envoyAccessLogService: AnyValue?
    public var envoyMetricsService: AnyValue?
    public var proxyMetadata: [String: String]?
    public var runtimeValues: [String: String]?
    public var statusPort: Int?
    public var extraStatTags: [String]?
    public var gatewayTopology: GatewayTopology?
    public var terminationDrainDuration: IstioDuration?
    public var meshId: String?
    public var readinessProbe: AnyValue?
    public var proxyStatsMatcher: AnyValue?
    public var holdApplicationUntilProxyStarts: Bool?
    public var caCertificatesPem: [String]?
    public var image: ProxyConfigSpec.ProxyImage?
    public var privateKeyProvider: AnyValue?
    public var proxyHeaders: AnyValue?
    public var tracingServiceName: String?
    public var fileFlushInterval: IstioDuration?
    public var fileFlushMinSizeKb: Int?
    public init() {}
}
