import NIOCore
import NIOSSL
import NIOTLS

/// Sits behind the TLS client handler of a new upstream connection until its handshake is done:
/// the connection is handed to a request only then, and only when the server's certificate names
/// one of the identities the cluster allows, so no request byte reaches a server that is not who
/// it should be. Removes itself once the handshake succeeded.
final class UpstreamTLSHandshake: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    /// Why a handshake did not give a usable connection (each is counted on the cluster).
    enum Failure: Error, Equatable {
        /// The server's certificate names none of the allowed identities (`ssl.fail_verify_san`).
        case identityMismatch(presented: [String])
        /// The TLS handshake failed (`ssl.connection_error`).
        case handshake(String)
        /// No handshake within the connect timeout.
        case timedOut
        /// The connection closed before the handshake finished.
        case closed

        var stat: String {
            switch self {
            case .identityMismatch: return "ssl.fail_verify_san"
            case .handshake(let reason) where reason.contains("CERTIFICATE_VERIFY_FAILED"): return "ssl.fail_verify_error"
            case .handshake: return "ssl.connection_error"
            case .timedOut: return "ssl.handshake_timeout"
            case .closed: return "ssl.connection_error"
            }
        }
    }

    private let allowedNames: [String]
    private let timeout: TimeAmount
    private let promise: EventLoopPromise<Void>
    private var timer: Scheduled<Void>?
    private var done = false

    /// `allowedNames` empty accepts any verified certificate.
    init(allowedNames: [String], timeout: TimeAmount, promise: EventLoopPromise<Void>) {
        self.allowedNames = allowedNames
        self.timeout = timeout
        self.promise = promise
    }

    var handshakeDone: EventLoopFuture<Void> { promise.futureResult }

    func handlerAdded(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: timeout) {
            let (handler, context) = loopBound.value
            handler.fail(.timedOut, context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard case TLSUserEvent.handshakeCompleted = event else { return context.fireUserInboundEventTriggered(event) }
        let presented = (try? context.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self))?.peerCertificate.map(PeerCertificate.names(of:)) ?? []
        if !allowedNames.isEmpty, !presented.contains(where: allowedNames.contains) {
            fail(.identityMismatch(presented: presented), context: context)
            return
        }
        // The identity the server proved, for the caller's metrics (`destination_principal`).
        let proven = allowedNames.isEmpty ? presented.first { $0.hasPrefix("spiffe://") } : presented.first(where: allowedNames.contains)
        UpstreamHandler.of(context.pipeline.syncOperations)?.peerIdentity = proven
        finish()
        promise.succeed(())
        context.fireUserInboundEventTriggered(event)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(.handshake("\(error)"), context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(.closed, context: context)
        context.fireChannelInactive()
    }

    private func finish() {
        done = true
        timer?.cancel()
        timer = nil
    }

    private func fail(_ failure: Failure, context: ChannelHandlerContext) {
        guard !done else { return }
        finish()
        promise.fail(failure)
        context.close(promise: nil)
    }
}
