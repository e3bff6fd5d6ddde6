import NIOCore
import WeftModel

/// The first handler of an HTTP listener's connection (after TLS or the transport decision): its
/// first bytes say HTTP/2 with prior knowledge (the client preface `PRI * HTTP/2.0…`) or HTTP/1.1,
/// and the matching handlers go in behind it before it leaves. Bytes are held only while they are
/// still a prefix of the preface (a request starting `P` waits for its second byte). On a port
/// whose protocol is not declared (Istio sniffs those), bytes that are neither an HTTP/2 preface
/// nor an HTTP/1.x request line are carried as TCP instead, as are connections whose first bytes
/// do not come within the mesh's `protocolDetectionTimeout` (when one is set).
final class HTTPVersionSniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n` (RFC 9113 §3.4).
    static let preface: [UInt8] = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
    /// How far a request line may run before the bytes are called not HTTP (Envoy's http_inspector reads 64 KiB; a line is far less).
    static let requestLineLimit = 8192

    /// What the first bytes say.
    enum Verdict: Equatable { case http2, http1, undecided, opaque }

    /// Where a connection that is not HTTP goes.
    enum Opaque: Equatable {
        /// To the app, as a TCP port's connections go (`service` names it in telemetry).
        case inbound(port: Int, service: String)
        /// To the egress listener's TCP destinations.
        case egress
        /// To these clusters (a captured connection to an undeclared service port).
        case clusters([WeightedCluster])
    }

    private let listener: ListenerContext
    private let peer: ConnectionPeer?
    private let opaque: Opaque?
    private let detectionTimeoutMs: Int?
    private var held: ByteBuffer?
    private var timer: Scheduled<Void>?
    private var decided = false

    init(listener: ListenerContext, peer: ConnectionPeer?, opaque: Opaque? = nil, detectionTimeoutMs: Int? = nil) {
        self.listener = listener
        self.peer = peer
        self.opaque = opaque
        self.detectionTimeoutMs = detectionTimeoutMs
    }

    static func verdict(_ bytes: ByteBuffer) -> Verdict {
        let view = bytes.readableBytesView
        let compared = min(view.count, preface.count)
        guard view.prefix(compared).elementsEqual(preface.prefix(compared)) else { return .http1 }
        return compared == preface.count ? .http2 : .undecided
    }

    /// Sniffing a port whose protocol is not declared: the preface, an HTTP/1.x request line
    /// (a method token, a space, a target, ` HTTP/1.0` or ` HTTP/1.1` ending the line), or neither.
    static func detect(_ bytes: ByteBuffer) -> Verdict {
        let version = verdict(bytes)
        guard version == .http1 else { return version }
        let view = bytes.readableBytesView
        var index = view.startIndex
        while index < view.endIndex, view[index] != UInt8(ascii: " ") {
            let byte = view[index]
            let tokenByte = (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
            guard tokenByte, index - view.startIndex < 32 else { return .opaque }
            index += 1
        }
        guard index < view.endIndex else { return .undecided }
        guard index > view.startIndex else { return .opaque }
        guard let newline = view[index...].firstIndex(of: UInt8(ascii: "\n")) else {
            return view.count >= requestLineLimit ? .opaque : .undecided
        }
        var line = view[index..<newline]
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        return line.count > 9 && (line.suffix(9).elementsEqual(" HTTP/1.1".utf8) || line.suffix(9).elementsEqual(" HTTP/1.0".utf8)) ? .http1 : .opaque
    }

    func handlerAdded(context: ChannelHandlerContext) {
        guard opaque != nil, let milliseconds = detectionTimeoutMs, milliseconds > 0 else { return }
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(milliseconds))) { [weak self] in
            guard let self, !self.decided else { return }
            self.listener.stats.increment("protocol_detection_timeout")
            self.carryAsTCP(context: context, bytes: self.held ?? ByteBuffer())
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !decided else { return context.fireChannelRead(data) }
        let bytes = held.takeJoined(with: unwrapInboundIn(data))
        let verdict = opaque == nil ? Self.verdict(bytes) : Self.detect(bytes)
        switch verdict {
        case .undecided:
            held = bytes
            return
        case .opaque:
            return carryAsTCP(context: context, bytes: bytes)
        case .http2, .http1:
            break
        }
        decided = true
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

    /// Not HTTP on a sniffed port: the connection, with what was read, is carried as bytes.
    private func carryAsTCP(context: ChannelHandlerContext, bytes: ByteBuffer) {
        decided = true
        held = nil
        listener.stats.increment("downstream_cx_sniffed_tcp")
        let data = bytes.readableBytes > 0 ? wrapInboundOut(bytes) : nil
        switch opaque {
        case .inbound(let port, let service):
            InboundTCPProxy.serve(after: self, context: context, listener: listener, port: port, service: service, peer: peer, passing: data)
        case .egress, .clusters:
            var destinations: [WeightedCluster] = []
            if case .clusters(let clusters) = opaque { destinations = clusters } else {
                destinations = listener.configuration.active.listener(named: listener.name)?.tcpDestinations ?? []
            }
            do {
                try OutboundTCPProxy.start(after: self, on: context.channel, listener: listener, destinations: destinations)
            } catch {
                context.close(promise: nil)
                return
            }
            if let data { context.fireChannelRead(data) }
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        case nil:
            context.close(promise: nil)
        }
    }
}
