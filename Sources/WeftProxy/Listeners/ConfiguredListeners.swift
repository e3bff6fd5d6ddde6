import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOExtras
import ServiceLifecycle
import WeftModel

/// The listeners a configuration names, of one direction (a router's gateway ports, a sidecar's
/// Sidecar egress ports): each is opened when it appears, closed when it goes, and reopened when
/// its binding (name, port, protocol) changes; what else changes applies to new connections from
/// the configuration in force. Configurations are applied one at a time, in the order they
/// arrived (a later one never races an earlier one's binds).
public final class ConfiguredListeners: Service, Sendable {
    /// What makes a listener socket: a change to anything else does not reopen it.
    struct Binding: Hashable, Sendable {
        var name: String
        var port: Int
        var protocolName: String
        var bindAddress: String?
        init(_ listener: ListenerConfig) {
            name = listener.name
            port = listener.port
            protocolName = listener.protocolName
            bindAddress = listener.bindAddress
        }
    }

    private let direction: ListenerConfig.Direction
    private let host: String
    private let group: any EventLoopGroup
    /// A listener's context for connections on one loop.
    private let makeContext: @Sendable (ListenerConfig, any EventLoop) -> ListenerContext
    private let drain: ProxyDrain?
    private let logger: Logger
    /// Open listener sockets, with what drains each one's connections.
    private let open = NIOLockedValueBox<[Binding: (channel: any Channel, quiescing: ServerQuiescingHelper?)]>([:])
    private let queue: AsyncStream<(ProxyConfiguration, @Sendable () -> Void)>
    private let enqueue: AsyncStream<(ProxyConfiguration, @Sendable () -> Void)>.Continuation

    init(direction: ListenerConfig.Direction, host: String, group: any EventLoopGroup, logger: Logger, drain: ProxyDrain? = nil,
         makeContext: @escaping @Sendable (ListenerConfig, any EventLoop) -> ListenerContext) {
        self.direction = direction
        self.drain = drain
        self.host = host
        self.group = group
        self.logger = logger
        self.makeContext = makeContext
        (queue, enqueue) = AsyncStream.makeStream(of: (ProxyConfiguration, @Sendable () -> Void).self)
    }

    /// Queues a configuration; `applied` runs once its listeners are open.
    func submit(_ configuration: ProxyConfiguration, applied: @escaping @Sendable () -> Void) {
        enqueue.yield((configuration, applied))
    }

    /// Closes listeners the configuration no longer names (or names differently), then opens the new ones.
    func reconcile(_ configuration: ProxyConfiguration) async {
        let wanted = Dictionary(configuration.listeners.filter { $0.direction == direction }.map { (Binding($0), $0) }, uniquingKeysWith: { first, _ in first })
        let current = Set(open.withLockedValue { Array($0.keys) })
        for binding in current.subtracting(wanted.keys) {
            guard let (channel, quiescing) = open.withLockedValue({ $0.removeValue(forKey: binding) }) else { continue }
            // Its connections drain (GOAWAY, Connection: close) as Envoy drains a removed listener.
            if let quiescing, let drain {
                drain.drain(quiescing)
            } else {
                try? await channel.close()
            }
        }
        for (binding, listener) in wanted.filter({ !current.contains($0.key) }).sorted(by: { $0.key.port < $1.key.port }) {
            let contexts = LoopLocal(group) { makeContext(listener, $0) }
            let host = listener.bindAddress ?? self.host
            do {
                let quiescing = drain?.quiescing(group)
                let channel = try await ProxyConnectionPipeline.bind(host: host, port: listener.port, group: group, listeners: contexts, quiescing: quiescing)
                open.withLockedValue { $0[binding] = (channel, quiescing) }
                logger.info("listener open", metadata: ["listener": "\(listener.name)", "address": "\(host):\(listener.port)"])
            } catch {
                contexts.all[0].stats.increment("listener_manager.listener_create_failure")
                logger.error("cannot open listener", metadata: ["listener": "\(listener.name)", "address": "\(host):\(listener.port)", "error": "\(error)"])
            }
        }
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            for await (configuration, applied) in self.queue {
                await self.reconcile(configuration)
                applied()
            }
        }
        enqueue.finish()
        // The proxy's drain has told their connections already; the sockets close here if it did not.
        for (channel, _) in open.withLockedValue({ Array($0.values) }) { try? await channel.close() }
    }
}
