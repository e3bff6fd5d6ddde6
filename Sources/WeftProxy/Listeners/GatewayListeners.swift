import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle
import WeftHTTPServer
import WeftModel

/// A router's listeners follow its configuration: one HTTP listener per Gateway port (route
/// table `http.PORT`), opened when a Gateway selecting the router appears and closed when it goes.
public final class GatewayListeners: Service, Sendable {
    private let host: String
    private let eventLoop: any EventLoop
    private let makeContext: @Sendable (Int) -> ListenerContext
    private let logger: Logger
    private let open = NIOLockedValueBox<[Int: any Channel]>([:])

    init(host: String, eventLoop: any EventLoop, logger: Logger, makeContext: @escaping @Sendable (Int) -> ListenerContext) {
        self.host = host
        self.eventLoop = eventLoop
        self.logger = logger
        self.makeContext = makeContext
    }

    /// Opens listeners for new Gateway ports and closes those no longer configured.
    public func reconcile(_ configuration: ProxyConfiguration) async {
        let wanted = Set(configuration.routeTables.compactMap { $0.name.hasPrefix("http.") ? Int($0.name.dropFirst(5)) : nil })
        let current = Set(open.withLockedValue { Array($0.keys) })
        for port in current.subtracting(wanted) {
            if let channel = open.withLockedValue({ $0.removeValue(forKey: port) }) { try? await channel.close() }
        }
        for port in wanted.subtracting(current).sorted() {
            let listener = makeContext(port)
            do {
                let channel = try await ProxyConnectionPipeline.bind(host: host, port: port, eventLoop: eventLoop, listener: listener)
                open.withLockedValue { $0[port] = channel }
                logger.info("gateway listener open", metadata: ["address": "\(host):\(port)"])
            } catch {
                listener.stats.increment("listener_manager.listener_create_failure")
                logger.error("cannot open gateway listener", metadata: ["address": "\(host):\(port)", "error": "\(error)"])
            }
        }
    }

    public func run() async throws {
        try? await gracefulShutdown()
        for channel in open.withLockedValue({ Array($0.values) }) { try? await channel.close() }
    }
}

/// A gateway router: Gateway listeners, admin on 15000, routing by the VirtualServices bound to
/// the Gateways that select it.
public struct Router: Sendable {
    public let configuration: ConfigurationStore
    public let stats: ProxyStats
    public let listeners: GatewayListeners
    public let services: [any Service]
    private let readiness: Readiness

    public init(address: String, adminAddress: String? = nil, identity: [String: String], eventLoop: any EventLoop, logger: Logger, quit: @escaping @Sendable () -> Void, onReady: @escaping @Sendable () -> Void = {},
                requestHeadersTimeout: TimeAmount = .seconds(10)) {
        let store = ConfigurationStore()
        let stats = ProxyStats()
        let balancer = LoadBalancerState()
        let pool = NIOLoopBoundBox.makeBoxSendingValue(UpstreamConnectionPool(eventLoop: eventLoop, stats: stats), as: UpstreamConnectionPool.self, eventLoop: eventLoop)
        let readiness = Readiness(listeners: 0, onReady: onReady)
        let listeners = GatewayListeners(host: address, eventLoop: eventLoop, logger: logger) { port in
            ListenerContext(name: "gateway|\(port)", pipeline: ListenerPipelines.routed(balancer: balancer), configuration: store, routeTable: "http.\(port)",
                            pool: pool, balancer: balancer, stats: stats, defaultPort: port, appendForwardedFor: true,
                            requestHeadersTimeout: requestHeadersTimeout)
        }
        let admin = AdminEndpoint(configuration: store, stats: stats, balancer: balancer, ready: readiness.ready, identity: identity, quit: quit)
        self.configuration = store
        self.stats = stats
        self.listeners = listeners
        self.readiness = readiness
        self.services = [listeners, APIServerService(configuration: .init(host: adminAddress ?? address, port: 15000), logger: logger) { await admin.handle($0) }]
    }

    /// Installs a configuration and opens or closes listeners to match it.
    public func install(_ configuration: ProxyConfiguration) async {
        self.configuration.install(configuration)
        await listeners.reconcile(configuration)
        readiness.configurationInstalled()
    }
}
