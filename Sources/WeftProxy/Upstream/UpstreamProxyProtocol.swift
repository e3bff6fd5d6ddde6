import NIOCore
import WeftModel

/// What an upstream connection to a cluster with DestinationRule `proxyProtocol` starts with: the
/// version, and the ends of the downstream connection it carries (a TCP listener's, as Envoy's
/// tcp_proxy hands them on); nil ends: the upstream connection's own (version 1) or LOCAL
/// (version 2), as Envoy writes when its HTTP router has none to give.
struct UpstreamProxyProtocol: Sendable {
    var version: ProxyProtocolVersion
    var source: SocketAddress?
    var destination: SocketAddress?
}

/// The first handler of such a connection: writes the header once the connect succeeds, before
/// the connection is handed over (NIO completes a connect before it tells the pipeline the
/// channel is active: a request written then came before a header written on `channelActive`),
/// so it precedes every other byte, a TLS handshake's included.
final class UpstreamProxyProtocolWriter: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let header: UpstreamProxyProtocol

    init(_ header: UpstreamProxyProtocol) {
        self.header = header
    }

    func connect(context: ChannelHandlerContext, to address: SocketAddress, promise: EventLoopPromise<Void>?) {
        let connected = context.eventLoop.makePromise(of: Void.self)
        context.connect(to: address, promise: connected)
        connected.futureResult.assumeIsolated().whenComplete { [self] result in
            switch result {
            case .success:
                context.writeAndFlush(wrapOutboundOut(bytes(channel: context.channel)), promise: nil)
                context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
                promise?.succeed()
            case .failure(let error):
                promise?.fail(error)
            }
        }
    }

    private func bytes(channel: any Channel) -> ByteBuffer {
        if header.source == nil, header.version == .v1 {
            return ProxyProtocolHeader.encode(.v1, source: channel.localAddress, destination: channel.remoteAddress)
        }
        return ProxyProtocolHeader.encode(header.version, source: header.source, destination: header.destination)
    }
}
