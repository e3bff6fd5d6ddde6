import Foundation
import NIOCore
import NIOPosix

/// How a sidecar in its pod's network namespace reaches the control plane on the host's
/// loopback: `weft run --netns` (on the host) listens on a Unix socket, which no network
/// namespace hides, and carries each connection's bytes to the control plane's address as they
/// are (TLS, tokens and all stay end to end between the sidecar and the control plane).
final class DiscoveryRelay: Sendable {
    private let channel: any Channel

    init(path: String, to host: String, port: Int, group: any EventLoopGroup) async throws {
        unlink(path)
        channel = try await ServerBootstrap(group: group)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { inbound in
                // Reads wait until the control plane's side is connected.
                inbound.setOption(.autoRead, value: false).flatMap {
                    ClientBootstrap(group: inbound.eventLoop)
                        .channelOption(.allowRemoteHalfClosure, value: true)
                        .connect(host: host, port: port)
                }.flatMapThrowing { outbound in
                    // Both channels are on the inbound one's loop, where this runs.
                    let (left, right) = RelayHandler.pair()
                    try inbound.pipeline.syncOperations.addHandler(left)
                    try outbound.pipeline.syncOperations.addHandler(right)
                }.flatMap {
                    inbound.setOption(.autoRead, value: true)
                }
            }
            .bind(unixDomainSocketPath: path)
            .get()
        chmod(path, 0o600)
    }

    func close() {
        channel.close(promise: nil)
    }
}

/// One side of a byte relay (both channels on one event loop, as NIO's GlueHandler): what it reads goes out the other side, with backpressure (a side
/// stops reading while the other cannot write), and a close or half close passes across.
private final class RelayHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var partner: RelayHandler?
    private var context: ChannelHandlerContext?
    private var pendingRead = false

    static func pair() -> (RelayHandler, RelayHandler) {
        let (first, second) = (RelayHandler(), RelayHandler())
        first.partner = second
        second.partner = first
        return (first, second)
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        partner = nil
    }

    private func partnerWrite(_ data: NIOAny) { context?.write(data, promise: nil) }
    private func partnerFlush() { context?.flush() }
    private var partnerWritable: Bool { context?.channel.isWritable ?? false }

    private func partnerWriteEOF() {
        context?.close(mode: .output, promise: nil)
    }

    private func partnerCloseFull() { context?.close(promise: nil) }

    private func partnerBecameWritable() {
        if pendingRead {
            pendingRead = false
            context?.read()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        partner?.partnerWrite(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        partner?.partnerFlush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        partner?.partnerCloseFull()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, case .inputClosed = event {
            partner?.partnerWriteEOF()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { partner?.partnerBecameWritable() }
    }

    func read(context: ChannelHandlerContext) {
        if partner?.partnerWritable ?? false {
            context.read()
        } else {
            pendingRead = true
        }
    }
}
