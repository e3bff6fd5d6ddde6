import NIOCore

/// The first handler of a connection to a gateway behind a PROXY protocol load balancer
/// (ProxyConfig `gatewayTopology.proxyProtocol`), as Envoy's proxy_protocol listener filter: the
/// header must come first (version 1 or 2); once it has, the connection is served as any other
/// of its listener, with the addresses it names in place of the socket's (a copy of the listener's
/// context carries them), and the bytes after it go on. The handlers behind it see the connection
/// open only then. No header, a malformed one, or none within 15 s (Envoy's listener filter
/// timeout): closed, counted as Envoy counts them.
final class ProxyProtocolReader: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let listener: ListenerContext
    private let timeout: TimeAmount
    private var held: ByteBuffer?
    private var timer: Scheduled<Void>?

    init(listener: ListenerContext, timeout: TimeAmount = .seconds(15)) {
        self.listener = listener
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let stats = listener.stats
        let channel = context.channel
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            stats.increment("downstream_pre_cx_timeout")
            channel.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    /// Held back: the handlers that serve the connection are not there yet, and see it open once they are.
    func channelActive(context: ChannelHandlerContext) {}

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = held.takeJoined(with: unwrapInboundIn(data))
        switch ProxyProtocolHeader.read(bytes) {
        case .incomplete:
            held = bytes
        case .notFound:
            refuse(context: context, counted: "proxy_proto.not_found_disallowed")
        case .invalid(let version, _):
            refuse(context: context, counted: "proxy_proto.versions.\(version.rawValue).error")
        case .header(let header):
            timer?.cancel()
            listener.stats.increment("proxy_proto.versions.\(header.version.rawValue).found")
            var proxied = listener
            if let addresses = header.addresses { proxied.proxiedAddresses = addresses }
            do {
                try ProxyConnectionPipeline.serveTransport(context.channel, listener: proxied)
            } catch {
                return refuse(context: context, counted: nil)
            }
            bytes.moveReaderIndex(forwardBy: header.length)
            context.fireChannelActive()
            if bytes.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(bytes)) }
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        held = nil
        context.fireChannelInactive()
    }

    /// Envoy closes the connection; every refusal is also `downstream_cx_proxy_proto_error`.
    private func refuse(context: ChannelHandlerContext, counted name: String?) {
        held = nil
        if let name { listener.stats.increment(name) }
        listener.stats.increment("downstream_cx_proxy_proto_error")
        context.close(promise: nil)
    }
}
