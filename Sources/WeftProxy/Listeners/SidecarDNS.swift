import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Transparent mode's DNS (Istio's DNS proxy, `ISTIO_META_DNS_CAPTURE`): the app's queries, sent
/// to whatever nameserver its `resolv.conf` names, are redirected here by iptables. A name of a
/// service the proxy knows (full, or a Kubernetes short form from the pod's namespace) is
/// answered with its virtual IPs; another `*.cluster.local` name does not exist; anything else
/// goes on to the host's resolver and its answer comes back as it is. Without a configuration
/// (`hostForwarder`) it only forwards: what `weft run --netns` serves on the host bridge, so a pod's
/// sidecar reaches the host's resolver from a namespace with no route beyond the bridge.
public final class SidecarDNS: Service, Sendable {
    private let host: String
    private let port: Int
    private let namespace: String
    private let configuration: ConfigurationStore?
    private let upstream: (host: String, port: Int)?
    private let stats: ProxyStats
    private let eventLoop: any EventLoop
    private let logger: Logger
    private let onBound: @Sendable (Int) -> Void

    init(host: String, port: Int, namespace: String, configuration: ConfigurationStore?, upstream: (host: String, port: Int)?,
         stats: ProxyStats, eventLoop: any EventLoop, logger: Logger, onBound: @escaping @Sendable (Int) -> Void) {
        self.host = host
        self.port = port
        self.namespace = namespace
        self.configuration = configuration
        self.upstream = upstream
        self.stats = stats
        self.eventLoop = eventLoop
        self.logger = logger
        self.onBound = onBound
    }

    /// A forwarder to the host's resolver on `host:port` (port 0: a free one, told to `onBound`).
    public static func hostForwarder(host: String, port: Int, upstream: (host: String, port: Int), eventLoop: any EventLoop, logger: Logger,
                                     onBound: @escaping @Sendable (Int) -> Void) -> SidecarDNS {
        SidecarDNS(host: host, port: port, namespace: "", configuration: nil, upstream: upstream, stats: ProxyStats(), eventLoop: eventLoop, logger: logger, onBound: onBound)
    }

    public func run() async throws {
        let upstream = try self.upstream.map { try SocketAddress.makeAddressResolvingHost($0.host, port: $0.port) }
        let responder = DNSResponder(namespace: namespace, configuration: configuration, upstream: upstream, stats: stats)
        let channel = try await DatagramBootstrap(group: eventLoop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(DNSServerHandler(responder: responder)) }
            }
            .bind(host: host, port: port)
            .get()
        logger.debug("dns", metadata: ["address": "\(host):\(port)"])
        onBound(channel.localAddress?.port ?? port)
        try await withTaskCancellationOrGracefulShutdownHandler {
            try await channel.closeFuture.get()
        } onCancelOrGracefulShutdown: {
            channel.close(promise: nil)
        }
    }
}

/// What the sidecar's DNS answers with: the registry, else the host's resolver.
struct DNSResponder: Sendable {
    let namespace: String
    let configuration: ConfigurationStore?
    let upstream: SocketAddress?
    let stats: ProxyStats

    /// How long a forwarded question waits for the host's resolver.
    static let forwardTimeout: TimeAmount = .seconds(5)

    enum Reply {
        case answer(ByteBuffer)
        case forward
    }

    func reply(to question: DNSQuestion) -> Reply {
        if let addresses = configuration?.active.capture.addresses(of: question.name, namespace: namespace) {
            stats.increment("dns.answered_from_registry")
            return .answer(question.answer(addresses: addresses))
        }
        if question.name.hasSuffix(".cluster.local") || question.name == "cluster.local" || upstream == nil {
            stats.increment("dns.nxdomain")
            return .answer(question.answer(addresses: [], code: 3))
        }
        stats.increment("dns.forwarded")
        return .forward
    }
}

/// Reads each query, answers it or forwards it (one short-lived socket per forwarded question,
/// whose first answer goes back to the asker).
private final class DNSServerHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private let responder: DNSResponder

    init(responder: DNSResponder) { self.responder = responder }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let query = unwrapInboundIn(data)
        guard let question = DNSQuestion(query.data) else {
            responder.stats.increment("dns.malformed")
            return
        }
        switch responder.reply(to: question) {
        case .answer(let answer):
            context.writeAndFlush(wrapOutboundOut(AddressedEnvelope(remoteAddress: query.remoteAddress, data: answer)), promise: nil)
        case .forward:
            guard let upstream = responder.upstream else { return }
            let server = context.channel
            let asker = query.remoteAddress
            let stats = responder.stats
            DatagramBootstrap(group: context.eventLoop)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(DNSRelayHandler(server: server, asker: asker)) }
                }
                .bind(host: "0.0.0.0", port: 0)
                .whenComplete { result in
                    guard case .success(let channel) = result else {
                        stats.increment("dns.forward_failed")
                        return
                    }
                    channel.writeAndFlush(AddressedEnvelope(remoteAddress: upstream, data: query.data), promise: nil)
                    let timeout = channel.eventLoop.scheduleTask(in: DNSResponder.forwardTimeout) { channel.close(promise: nil) }
                    channel.closeFuture.whenComplete { _ in timeout.cancel() }
                }
        }
    }
}

/// The host resolver's answer to one forwarded question, passed back to the app that asked.
private final class DNSRelayHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let server: any Channel
    private let asker: SocketAddress

    init(server: any Channel, asker: SocketAddress) {
        self.server = server
        self.asker = asker
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        server.writeAndFlush(AddressedEnvelope(remoteAddress: asker, data: unwrapInboundIn(data).data), promise: nil)
        context.close(promise: nil)
    }
}
