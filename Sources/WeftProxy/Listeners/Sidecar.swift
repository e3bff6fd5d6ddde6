import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle
import WeftHTTPServer
import WeftModel
import WeftTelemetry

/// A sidecar in host mode: it owns the pod IP (a loopback address), listens inbound on each
/// container port and forwards to the app's private address, proxies the app's outbound HTTP on
/// 15001, and serves admin on 15000. Connections are spread over the group's event loops (Istio's
/// `concurrency`); each loop has its own upstream pool and metrics, configuration and load
/// balancing are shared.
public struct Sidecar: Sendable {
    /// Settings of one sidecar.
    public struct Configuration: Sendable {
        public var podIP: String
        /// The address the application binds (its ports are the container ports).
        public var appAddress: String
        /// Container ports: inbound listeners on podIP, forwarded to appAddress.
        public var ports: [Int]
        public var outboundPort: Int = 15001
        public var adminPort: Int = 15000
        /// A client that has started a request gets this long to finish its headers (then 408).
        public var requestHeadersTimeout: TimeAmount = .seconds(10)
        /// Proxy metadata shown on the admin page (id, namespace, labels...).
        public var identity: [String: String]
        /// Ready only once a workload certificate is installed (a sidecar whose host runs a
        /// CertificateRotationService; Istio's proxy waits for its SDS secret the same way).
        public var waitsForCertificate = false
        /// How long a new inbound connection may take to send its first bytes, then its TLS handshake.
        public var tlsHandshakeTimeout: TimeAmount = .seconds(10)
        /// Istio's metrics port: `podIP:15020/stats/prometheus`.
        public var metricsPort: Int = 15020
        /// The workload as Istio's metrics label it, and its SPIFFE principal; nil records no Istio metrics.
        public var workload: WorkloadMetadata?
        public var principal = WorkloadMetadata.unknownValue
        /// The files access logs go to (`/dev/stdout` may be sent elsewhere by the runner).
        public var accessLogFiles = AccessLogFiles()
        /// How long connections may take to drain when the sidecar stops (Istio's `terminationDrainDuration`).
        public var terminationDrainDuration: TimeAmount = .seconds(5)
        /// Transparent mode (the pod's own network namespace, iptables redirecting every TCP
        /// connection): outbound capture on 15001 and inbound on 15006 (any address), the app on the
        /// pod IP at its own ports, and service names answered by the sidecar's DNS on 15053.
        public var capture = false
        /// Transparent mode's DNS: where questions about names no service has go (the host's resolver).
        public var upstreamDNS: (host: String, port: Int)?

        public init(podIP: String, appAddress: String, ports: [Int], identity: [String: String]) {
            self.podIP = podIP
            self.appAddress = appAddress
            self.ports = ports
            self.identity = identity
        }
    }

    public let configuration: ConfigurationStore
    public let stats: ProxyStats
    /// The workload certificate, kept by a CertificateRotationService the host runs beside.
    public let certificates: WorkloadCertificates
    /// The Sidecar resource's egress ports.
    let egressListeners: ConfiguredListeners
    public let services: [any Service]
    private let readiness: Readiness

    /// `quit` is called by `POST /quitquitquit` (the runner drains and stops everything).
    public init(_ settings: Configuration, group: any EventLoopGroup, logger: Logger, quit: @escaping @Sendable () -> Void, onReady: @escaping @Sendable () -> Void = {}) {
        let eventLoop = LoopLocal<Int>.loops(of: group)[0]
        let store = ConfigurationStore(accessLogFiles: settings.accessLogFiles)
        settings.accessLogFiles.collectors.resolveWith(SpanExporterService.resolver(store, namespace: settings.workload?.namespace ?? "default"))
        let stats = ProxyStats()
        let balancer = LoadBalancerState()
        let listenerCount = settings.capture ? 3 : settings.ports.count + 1
        let readiness = Readiness(listeners: listenerCount, certificate: settings.waitsForCertificate, onReady: onReady)
        let certificates = WorkloadCertificates(onInstall: readiness.certificateInstalled)
        let breaker = SharedCircuitBreaker()
        let pools = LoopLocal(group) { loop in
            NIOLoopBoundBox.makeBoxSendingValue(UpstreamConnectionPool(eventLoop: loop, sourceAddress: settings.podIP, stats: stats, certificates: certificates,
                                                                       inboundSourceAddress: settings.capture ? Self.inboundPassthroughSource : nil, breaker: breaker),
                                                as: UpstreamConnectionPool.self, eventLoop: loop)
        }
        var services: [any Service] = []
        let telemetry = settings.workload.map { ProxyTelemetry(workload: $0, principal: settings.principal, group: group) }
        let drain = ProxyDrain()
        let tracer = settings.workload.map { ProxyTracer(workload: $0, podIP: settings.podIP, nodeID: "sidecar~\(settings.podIP)~\(settings.identity["id"] ?? $0.workload)", queue: SpanQueue(stats: stats)) }
        // First in the list, so the last to stop: spans finished while the listeners drain still go out.
        if let tracer { services.append(SpanExporterService(queue: tracer.queue, configuration: store, namespace: tracer.workload.namespace,
                                                                certificates: certificates, eventLoop: eventLoop, logger: logger)) }
        let outbound = pools.map { _, pool in
            ListenerContext(name: "outbound", pipeline: ListenerPipelines.routed(balancer: balancer, pool: pool, stats: stats), configuration: store, routeTable: "outbound",
                            pool: pool, balancer: balancer, stats: stats, appendForwardedFor: false,
                            requestHeadersTimeout: settings.requestHeadersTimeout, telemetry: telemetry, tracer: tracer)
        }
        // A Sidecar ingress listener's own TLS (for callers from outside the mesh), by port.
        let ingressTLS = GatewayTLSContexts()
        let inboundContext = { @Sendable (port: Int, name: String, pool: NIOLoopBoundBox<UpstreamConnectionPool>) -> ListenerContext in
            var inbound = ListenerContext(name: name, pipeline: ListenerPipelines.inbound(appHost: settings.appAddress, appPort: port, stats: stats, logger: logger), configuration: store,
                                          routeTable: nil, pool: pool, balancer: balancer, stats: stats, defaultPort: port, appendForwardedFor: false,
                                          requestHeadersTimeout: settings.requestHeadersTimeout, inboundPort: port, appHost: settings.appAddress, enforcesAuthorization: true,
                                          certificates: certificates, tlsHandshakeTimeout: settings.tlsHandshakeTimeout, telemetry: telemetry, tracer: tracer)
            inbound.gatewayTLS = ingressTLS
            return inbound
        }
        if settings.capture {
            let outboundCapture = outbound.map { OutboundCapture(listener: $1) }
            services.append(HTTPListenerService(name: "outbound", stats: stats, host: "0.0.0.0", port: settings.outboundPort, group: group, drain: drain, logger: logger,
                                                onBound: readiness.listenerBound) { channel in try outboundCapture[channel.eventLoop].serve(channel) })
            let inboundCapture = pools.map { _, pool in
                let declared = Dictionary(settings.ports.map { ($0, inboundContext($0, "inbound|\($0)", pool)) }, uniquingKeysWith: { first, _ in first })
                return InboundCapture(declared: declared) { port in inboundContext(port, "virtualInbound", pool) }
            }
            services.append(HTTPListenerService(name: "virtualInbound", stats: stats, host: "0.0.0.0", port: Self.inboundCapturePort, group: group, drain: drain, logger: logger,
                                                onBound: readiness.listenerBound) { channel in try inboundCapture[channel.eventLoop].serve(channel) })
            services.append(SidecarDNS(host: "127.0.0.1", port: Self.dnsPort, namespace: settings.workload?.namespace ?? "default", configuration: store,
                                       upstream: settings.upstreamDNS, stats: stats, eventLoop: eventLoop, logger: logger, onBound: { _ in readiness.listenerBound() }))
        } else {
            services.append(HTTPListenerService(host: settings.podIP, port: settings.outboundPort, group: group, listeners: outbound, drain: drain, logger: logger, onBound: readiness.listenerBound))
            for port in settings.ports {
                services.append(HTTPListenerService(host: settings.podIP, port: port, group: group, listeners: pools.map { _, pool in inboundContext(port, "inbound|\(port)", pool) },
                                                    drain: drain, logger: logger, onBound: readiness.listenerBound))
            }
        }
        // The Sidecar resource's egress ports, opened and closed as the configuration names them.
        let egress = ConfiguredListeners(direction: .egress, host: settings.podIP, group: group, logger: logger, drain: drain) { listener, loop in
            let pool = pools[loop]
            var context = ListenerContext(name: listener.name, pipeline: ListenerPipelines.routed(balancer: balancer, pool: pool, stats: stats), configuration: store,
                                          routeTable: listener.routeTable ?? "outbound", pool: pool, balancer: balancer, stats: stats, defaultPort: listener.port, appendForwardedFor: false,
                                          requestHeadersTimeout: settings.requestHeadersTimeout, telemetry: telemetry, tracer: tracer)
            context.egressProtocol = listener.protocolName
            return context
        }
        services.append(egress)
        let admin = AdminEndpoint(configuration: store, stats: stats, balancer: balancer, ready: readiness.ready, identity: settings.identity,
                                  certificates: certificates, telemetry: telemetry, quit: quit)
        services.append(APIServerService(configuration: .init(host: settings.podIP, port: settings.adminPort), logger: logger) { await admin.handle($0) })
        // Istio's 15020 serves the proxy's metrics for Prometheus, apart from the admin API.
        services.append(APIServerService(configuration: .init(host: settings.podIP, port: settings.metricsPort), logger: logger) { await admin.metrics($0) })
        // Last, so the first to stop: every listener drains at once, before any socket is closed.
        services.append(ProxyDrainService(drain: drain, duration: settings.terminationDrainDuration, eventLoop: eventLoop))
        self.configuration = store
        self.stats = stats
        self.certificates = certificates
        self.egressListeners = egress
        self.services = services
        self.readiness = readiness
    }

    /// Transparent mode's inbound capture port and DNS port (Istio's).
    public static let inboundCapturePort = 15006
    public static let dnsPort = 15053
    /// Where transparent mode's connections to the app come from (Istio's InboundPassthroughBindIpv4):
    /// the capture rules let it reach the app, and send the sidecar's other loopback traffic to its own pod through 15006.
    public static let inboundPassthroughSource = "127.0.0.6"

    /// Installs a configuration (from discovery or a file) for requests at once, and queues its
    /// egress ports to be opened or closed; it counts toward readiness once they are open, so an
    /// app never starts before the ports it connects to.
    public func install(_ configuration: ProxyConfiguration) {
        self.configuration.install(configuration)
        egressListeners.submit(configuration) { [readiness] in readiness.configurationInstalled() }
    }
}

/// Ready when every listener is bound and a first configuration is installed.
final class Readiness: Sendable {
    let ready = NIOLockedValueBox(false)
    private let state: NIOLockedValueBox<(listeners: Int, configured: Bool, certified: Bool)>
    private let onReady: @Sendable () -> Void

    /// `certificate`: also wait for the first workload certificate.
    init(listeners: Int, certificate: Bool = false, onReady: @escaping @Sendable () -> Void) {
        state = NIOLockedValueBox((listeners, false, !certificate))
        self.onReady = onReady
    }

    @Sendable func listenerBound() { update { $0.listeners -= 1 } }
    func configurationInstalled() { update { $0.configured = true } }
    @Sendable func certificateInstalled() { update { $0.certified = true } }

    private func update(_ change: (inout (listeners: Int, configured: Bool, certified: Bool)) -> Void) {
        let becameReady = state.withLockedValue { value -> Bool in
            change(&value)
            return value.listeners == 0 && value.configured && value.certified
        }
        guard becameReady else { return }
        let first = ready.withLockedValue { ready -> Bool in
            defer { ready = true }
            return !ready
        }
        if first { onReady() }
    }
}
