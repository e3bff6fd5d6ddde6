import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle
import WeftHTTPServer
import WeftModel
import WeftTelemetry

/// A gateway router: Gateway listeners, admin on 15000, routing by the VirtualServices bound to
/// the Gateways that select it; connections spread over the group's loops as a sidecar's are.
public struct Router: Sendable {
    public let configuration: ConfigurationStore
    public let stats: ProxyStats
    public let listeners: ConfiguredListeners
    /// The gateway's workload certificate (mutual TLS to sidecars), kept by a CertificateRotationService.
    public let certificates: WorkloadCertificates
    public let services: [any Service]
    private let readiness: Readiness

    public init(address: String, adminAddress: String? = nil, identity: [String: String], group: any EventLoopGroup, logger: Logger, quit: @escaping @Sendable () -> Void, onReady: @escaping @Sendable () -> Void = {},
                requestHeadersTimeout: TimeAmount = .seconds(10), waitsForCertificate: Bool = false, workload: WorkloadMetadata? = nil,
                principal: String = WorkloadMetadata.unknownValue, accessLogFiles: AccessLogFiles = AccessLogFiles(),
                terminationDrainDuration: TimeAmount = .seconds(5), edge: GatewayEdge = GatewayEdge()) {
        let eventLoop = LoopLocal<Int>.loops(of: group)[0]
        let store = ConfigurationStore(accessLogFiles: accessLogFiles)
        accessLogFiles.collectors.resolveWith(SpanExporterService.resolver(store, namespace: workload?.namespace ?? "istio-system"))
        let telemetry = workload.map { ProxyTelemetry(workload: $0, principal: principal, group: group) }
        let stats = ProxyStats()
        let balancer = LoadBalancerState()
        let readiness = Readiness(listeners: 0, certificate: waitsForCertificate, onReady: onReady)
        let certificates = WorkloadCertificates(onInstall: readiness.certificateInstalled)
        let breaker = SharedCircuitBreaker()
        let pools = LoopLocal(group) { loop in
            NIOLoopBoundBox.makeBoxSendingValue(UpstreamConnectionPool(eventLoop: loop, stats: stats, certificates: certificates, breaker: breaker),
                                                as: UpstreamConnectionPool.self, eventLoop: loop)
        }
        let tracer = workload.map { ProxyTracer(workload: $0, podIP: address, nodeID: "router~\(address)~\(identity["id"] ?? $0.workload)", queue: SpanQueue(stats: stats)) }
        let drain = ProxyDrain()
        let gatewayTLS = GatewayTLSContexts()
        let listeners = ConfiguredListeners(direction: .gateway, host: address, group: group, logger: logger, drain: drain) { listener, loop in
            let pool = pools[loop]
            return ListenerContext(name: listener.name, pipeline: ListenerPipelines.routed(balancer: balancer, pool: pool, stats: stats, logger: logger, authorizing: true), configuration: store,
                            routeTable: listener.routeTable, pool: pool, balancer: balancer, stats: stats, defaultPort: listener.port, appendForwardedFor: true,
                            requestHeadersTimeout: requestHeadersTimeout, egressProtocol: Self.carriedAsTCP(listener.protocolName) ? "TCP" : nil,
                            enforcesAuthorization: true, certificates: certificates, telemetry: telemetry, tracer: tracer, serverHeader: "istio-envoy", gatewayTLS: gatewayTLS,
                            gatewayEdge: edge)
        }
        let admin = AdminEndpoint(configuration: store, stats: stats, balancer: balancer, ready: readiness.ready, identity: identity, certificates: certificates,
                                  telemetry: telemetry, quit: quit)
        self.configuration = store
        self.certificates = certificates
        self.stats = stats
        self.listeners = listeners
        self.readiness = readiness
        var services: [any Service] = []
        // First in the list, so the last to stop: spans finished while the listeners drain still go out.
        if let tracer { services.append(SpanExporterService(queue: tracer.queue, configuration: store, namespace: tracer.workload.namespace,
                                                                certificates: certificates, eventLoop: eventLoop, logger: logger)) }
        services += [listeners, APIServerService(configuration: .init(host: adminAddress ?? address, port: 15000), logger: logger) { await admin.handle($0) },
                     APIServerService(configuration: .init(host: adminAddress ?? address, port: 15020), logger: logger) { await admin.metrics($0) },
                     // Last, so the first to stop: the gateway's listeners drain before their sockets close.
                     ProxyDrainService(drain: drain, duration: terminationDrainDuration, eventLoop: eventLoop)]
        self.services = services
    }

    /// Installs a configuration for requests at once, and queues its listeners to be opened or
    /// closed in order; the router is ready once the first configuration's listeners are open.
    public func install(_ configuration: ProxyConfiguration) {
        self.configuration.install(configuration)
        listeners.submit(configuration) { [readiness] in readiness.configurationInstalled() }
    }

    /// Gateway server protocols whose bytes go by `tcp` routes, unparsed (TCP, MONGO, REDIS, …).
    /// A TLS server's bytes do too, once its own handler has terminated or routed them.
    static func carriedAsTCP(_ protocolName: String) -> Bool {
        !["HTTP", "HTTP2", "GRPC", "GRPC-WEB", "HTTPS", "TLS"].contains(protocolName.uppercased())
    }
}
