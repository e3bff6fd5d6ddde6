import WeftHTTPServer
import Foundation
import Logging
import NIOCore
import ServiceLifecycle

/// Composes the control plane's long-running parts: Ingest (store + validation), analysis, and
/// the config API. Discovery (xDS) joins this list when the proxy arrives.
public struct ControlPlane: Sendable {
    /// Settings of `weft control-plane`.
    public struct Configuration: Sendable {
        /// Where the embedded store keeps its file; nil keeps everything in memory (for demos).
        public var dataDirectory: URL?
        /// The config API and debug listener (Istio's 15014).
        public var api = APIServerService.Configuration()
        /// The discovery (gRPC) listener for proxies (Istio's 15010); port 0 picks a free one.
        public var discoveryHost = "127.0.0.1"
        public var discoveryPort = 15010
        public var push = ProxyHub.Configuration()
        /// Istio's plugged-in CA (`cacerts`: ca-cert.pem, ca-key.pem, cert-chain.pem, root-cert.pem);
        /// nil makes (or reuses) a self-signed root.
        public var caDirectory: URL?
        /// Istio's `DEFAULT_WORKLOAD_CERT_TTL` (24 h) and `MAX_WORKLOAD_CERT_TTL` (90 days); nil keeps those.
        public var defaultCertificateTTL: Duration?
        public var maximumCertificateTTL: Duration?
        /// How often a plugged-in CA's files are looked at for a change (2 s).
        public var caReloadInterval: Duration = .seconds(2)
        /// Fetching RequestAuthentication `jwksUri`s.
        public var jwks = JWKSFetchService.Configuration()
        public init(dataDirectory: URL?, api: APIServerService.Configuration = .init(), discoveryHost: String = "127.0.0.1", discoveryPort: Int = 15010,
                    caDirectory: URL? = nil) {
            self.dataDirectory = dataDirectory
            self.caDirectory = caDirectory
            self.api = api
            self.discoveryHost = discoveryHost
            self.discoveryPort = discoveryPort
        }
    }

    public let ingest: ConfigIngest
    public let analysis: AnalysisResults
    public let hub: ProxyHub
    /// The mesh CA (Istio's Citadel), ready before anything is served; a plugged-in one is
    /// reloaded when its files change.
    public let ca: CurrentCertificateAuthority
    /// Certificate requests signed and refused, by reason.
    public let certificateCounters: CertificateCounters
    /// Who may write config and take which certificate.
    public let credentials: MeshCredentials
    /// The administrator's token: the executable leaves it where this host's user finds it.
    public let administratorToken: String
    /// Whether the API and discovery listen beyond loopback, and so serve TLS.
    public let servesTLS: (api: Bool, discovery: Bool)
    public let services: [any ServiceLifecycle.Service]
    /// The remote key sets held and how fetching them goes.
    public let jwksStatuses: JWKSStatuses

    public init(configuration: Configuration, logger: Logger, onAPIBound: @escaping @Sendable (SocketAddress) -> Void = { _ in },
                onDiscoveryBound: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let store: any ConfigStore = configuration.dataDirectory.map { FileConfigStore(directory: $0) } ?? MemoryConfigStore()
        let ingest = try await ConfigIngest(store: store, logger: logger)
        let trustDomain = await ingest.snapshot.index.meshConfig.trustDomain ?? "cluster.local"
        var ca = try CertificateAuthoritySetup.load(caDirectory: configuration.caDirectory, dataDirectory: configuration.dataDirectory,
                                                    trustDomain: trustDomain, logger: logger)
        if let ttl = configuration.defaultCertificateTTL { ca.defaultTTL = ttl }
        if let ttl = configuration.maximumCertificateTTL { ca.maximumTTL = ttl }
        let analysis = AnalysisResults()
        let hub = ProxyHub(configuration: configuration.push, logger: logger)
        let certificateCounters = CertificateCounters()
        let credentials = try MeshCredentials.load(dataDirectory: configuration.dataDirectory, logger: logger)
        let current = CurrentCertificateAuthority(ca)
        let jwksStatuses = JWKSStatuses()
        let api = ConfigAPI(ingest: ingest, analysis: analysis, hub: hub, certificateAuthority: current, certificateCounters: certificateCounters,
                            credentials: credentials, jwks: jwksStatuses)
        self.jwksStatuses = jwksStatuses
        self.credentials = credentials
        self.administratorToken = credentials.issue(.administrator)
        self.ca = current
        self.certificateCounters = certificateCounters
        self.ingest = ingest
        self.analysis = analysis
        self.hub = hub
        // Beyond loopback, both listeners serve TLS with a certificate from the mesh CA.
        let beyondLoopback = [configuration.api.host, configuration.discoveryHost].filter { !ListenAddress.isLoopback($0) }
        let serving = beyondLoopback.isEmpty ? nil : try ControlPlaneServingTLS(ca: ca, hosts: beyondLoopback)
        var apiSettings = configuration.api
        if let serving, !ListenAddress.isLoopback(apiSettings.host) { apiSettings.tls = try serving.serverContext() }
        var discovery = DiscoveryService(host: configuration.discoveryHost, port: configuration.discoveryPort, ingest: ingest, hub: hub, ca: current, credentials: credentials,
                                         certificateCounters: certificateCounters, logger: logger, onBound: onDiscoveryBound)
        if let serving, !ListenAddress.isLoopback(configuration.discoveryHost) { discovery.tls = (serving.chainPEM, serving.keyPEM) }
        self.servesTLS = (api: apiSettings.tls != nil, discovery: discovery.tls != nil)
        var services: [any ServiceLifecycle.Service] = [
            AnalysisService(ingest: ingest, results: analysis, logger: logger),
            discovery,
            APIServerService(configuration: apiSettings, logger: logger, onBound: { [servesTLS = apiSettings.tls != nil] address in
                // Over TLS (beyond loopback) the proxies post spans with the mesh root they hold (`https://`).
                if let port = address.port {
                    let host = address.ipAddress.map { $0 == "0.0.0.0" || $0 == "::" ? "127.0.0.1" : $0 } ?? "127.0.0.1"
                    let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
                    Task { await hub.setBuiltInCollector(servesTLS ? "https://" + address : address) }
                }
                onAPIBound(address)
            }) { await api.handle($0) },
            JWKSFetchService(ingest: ingest, hub: hub, statuses: jwksStatuses, configuration: configuration.jwks, logger: logger),
        ]
        if let directory = configuration.caDirectory {
            services.append(CertificateAuthorityReloadService(directory: directory, trustDomain: trustDomain, current: current, counters: certificateCounters,
                                                              interval: configuration.caReloadInterval, logger: logger))
        }
        self.services = services
    }
}
