import NIOCore

/// The first handler of an HTTP listener's connection (after TLS or the transport decision): its
/// first bytes say HTTP/2 with prior knowledge (the client preface `PRI * HTTP/2.0…`) or HTTP/1.1,
/// and the matching handlers go in behind it before it leaves. Bytes are held only while they are
/// still a prefix of the preface (a request starting `P` waits for its second byte).
final class HTTPVersionSniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    /// `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n` (RFC 9113 §3.4).
    static let preface: [UInt8] = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    /// What the first bytes say.
    enum Verdict: Equatable { case http2, http1, undecided }

    private let listener: ListenerContext
    private let peer: ConnectionPeer?
    private var held: ByteBuffer?

    init(listener: ListenerContext, peer: ConnectionPeer?) {
        self.listener = listener
        self.peer = peer
    }

    static func verdict(_ bytes: ByteBuffer) -> Verdict {
        let view = bytes.readableBytesView
        let compared = min(view.count, preface.count)
        guard view.prefix(compared).elementsEqual(preface.prefix(compared)) else { return .http1 }
        return compared == preface.count ? .http2 : .undecided
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if var earlier = held {
            earlier.writeBuffer(&bytes)
            bytes = earlier
            held = nil
        }
        let verdict = Self.verdict(bytes)
        guard verdict != .undecided else {
            held = bytes
            return
        }
        do {
            if verdict == .http2 {
                listener.stats.increment("downstream_cx_http2_total")
                try ProxyConnectionPipeline.configureHTTP2(context.channel, listener: listener, peer: peer, position: .after(self))
            } else {
                try ProxyConnectionPipeline.configureHTTP1(context.channel, listener: listener, peer: peer, position: .after(self))
            }
        } catch {
            context.close(promise: nil)
            return
        }
        context.fireChannelRead(wrapInboundOut(bytes))
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    typealias InboundOut = ByteBuffer
}
