import NIOCore
import NIOHTTP1
import WeftModel

/// The HTTP provider's check on the wire: one HTTP/1.1 exchange on a connection to the authorizer
/// kept alive between checks (`IdleCheckConnections`, the pool's), opened (secured as a request to
/// it would be) when none is idle. A kept connection that turns out closed before its answer
/// begins is replaced once by a new one; an answer without keep-alive, a failure or the provider's
/// timeout closes the connection.
extension ExternalAuthorization {
    /// Asks the authorizer over a connection from `pool` (its loop's).
    static func check(_ head: HTTPRequestHead, body: ByteBuffer? = nil, target: (host: String, port: Int, cluster: String?, transport: UpstreamTransport),
                      authorizer: ExternalAuthorizer, pool: UpstreamConnectionPool) -> EventLoopFuture<ExternalVerdict> {
        let promise = answerPromise(on: pool.eventLoop, authorizer: authorizer) { ExternalVerdict.failed($0) }
        let call = HTTPCheckCall(head: head, body: body, target: target, authorizer: authorizer, pool: pool, promise: promise)
        if let kept = pool.authorizerConnections.take(call.key) {
            call.send(on: kept, kept: true)
        } else {
            call.open()
        }
        return promise.futureResult
    }

    /// The promise of a check's answer, given `failed(reason)` once the provider's timeout passes first.
    static func answerPromise<Answer: Sendable>(on eventLoop: any EventLoop, authorizer: ExternalAuthorizer,
                                                failed: @escaping @Sendable (String) -> Answer) -> EventLoopPromise<Answer> {
        let promise = eventLoop.makePromise(of: Answer.self)
        let timeout = eventLoop.scheduleTask(in: .milliseconds(Int64(authorizer.timeoutMs))) {
            promise.succeed(failed("no answer within \(authorizer.timeoutMs) ms"))
        }
        promise.futureResult.whenComplete { _ in timeout.cancel() }
        return promise
    }

    /// One check's exchange, on the pool's loop.
    final class HTTPCheckCall {
        let head: HTTPRequestHead
        let body: ByteBuffer?
        let target: (host: String, port: Int, cluster: String?, transport: UpstreamTransport)
        let authorizer: ExternalAuthorizer
        let pool: UpstreamConnectionPool
        let promise: EventLoopPromise<ExternalVerdict>
        let key: UpstreamPoolKey

        init(head: HTTPRequestHead, body: ByteBuffer?, target: (host: String, port: Int, cluster: String?, transport: UpstreamTransport), authorizer: ExternalAuthorizer,
             pool: UpstreamConnectionPool, promise: EventLoopPromise<ExternalVerdict>) {
            self.head = head
            self.body = body
            self.target = target
            self.authorizer = authorizer
            self.pool = pool
            self.promise = promise
            key = target.transport.poolKey(host: target.host, port: target.port, cluster: target.cluster ?? "ext_authz|\(authorizer.name)")
        }

        /// A new connection to the authorizer, then the exchange on it.
        func open() {
            let connections = pool.authorizerConnections
            let key = self.key
            pool.connectSecured(host: target.host, port: target.port, cluster: target.cluster, connectTimeout: .milliseconds(Int64(min(authorizer.timeoutMs, 10_000))),
                                transport: target.transport, carrying: .http1) { channel in
                try channel.pipeline.syncOperations.addHTTPClientHandlers()
            }.assumeIsolated().whenComplete { result in
                switch result {
                case .success(let connection):
                    connections.adopt(connection.channel, target: key)
                    self.send(on: connection.channel, kept: false)
                case .failure(let error):
                    self.promise.succeed(.failed("\(error)"))
                }
            }
        }

        /// The exchange on `channel`; `kept`: it served an earlier check.
        func send(on channel: any Channel, kept: Bool) {
            let reader = AnswerReader(authorizer: authorizer)
            do {
                try channel.pipeline.syncOperations.addHandler(reader)
            } catch {
                channel.close(promise: nil)
                return kept ? open() : promise.succeed(.failed("\(error)"))
            }
            reader.finished = { verdict, keepAlive in
                channel.pipeline.syncOperations.removeHandler(reader, promise: nil)
                if kept, !reader.answerBegan, case .failed = verdict {
                    // A kept connection the authorizer had closed: once more on a new one.
                    channel.close(promise: nil)
                    return self.open()
                }
                self.promise.succeed(verdict)
                if keepAlive, channel.isActive {
                    self.pool.authorizerConnections.release(channel, target: self.key)
                } else {
                    channel.close(promise: nil)
                }
            }
            // The provider's timeout ends the check while the exchange is in flight: the connection goes with it.
            promise.futureResult.assumeIsolated().whenComplete { _ in
                if !reader.isFinished { channel.close(promise: nil) }
            }
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            if let body, body.readableBytes > 0 { channel.write(HTTPClientRequestPart.body(.byteBuffer(body)), promise: nil) }
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        }
    }

    /// Reads the authorizer's answer (a body of up to 64 KiB) into a verdict, and whether the
    /// connection may serve another check.
    final class AnswerReader: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPClientResponsePart
        let authorizer: ExternalAuthorizer
        var finished: ((ExternalVerdict, _ keepAlive: Bool) -> Void)?
        private(set) var isFinished = false
        var head: HTTPResponseHead?
        var body: [UInt8] = []
        var answerBegan: Bool { head != nil }

        init(authorizer: ExternalAuthorizer) {
            self.authorizer = authorizer
        }

        private func finish(_ verdict: ExternalVerdict, keepAlive: Bool = false) {
            guard !isFinished else { return }
            isFinished = true
            finished?(verdict, keepAlive)
            finished = nil
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let received): head = received
            case .body(let buffer): if body.count < 65_536 { body += buffer.readableBytesView.prefix(65_536 - body.count) }
            case .end:
                guard let head else { return finish(.failed("no response head")) }
                finish(ExternalAuthorization.verdict(status: Int(head.status.code), headers: head.headers,
                                                     body: String(decoding: body, as: UTF8.self), authorizer: authorizer),
                       keepAlive: head.isKeepAlive)
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            finish(.failed("connection closed before the answer ended"))
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            finish(.failed("\(error)"))
            context.close(promise: nil)
        }
    }
}
