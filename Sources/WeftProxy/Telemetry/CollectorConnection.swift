import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// One trace collector's keep-alive HTTP/1.1 connection (Zipkin's v2 API, or OTLP over HTTP), owned by the exporter's event loop.
/// Batches go out on it one at a time and it stays open between them, as Envoy's Zipkin reporter
/// posts on its collector cluster's pooled connection. A connection per batch, from a Swift
/// concurrency task, woke a resolver thread, a task thread and the collector's acceptor with each
/// batch. A connection the collector closes, or one that failed, is dialled again for the next batch.
final class CollectorConnection {
    /// How a batch ended.
    enum Outcome: Equatable {
        /// A 2xx answer.
        case accepted
        /// Any other status (Envoy's `reports_dropped`).
        case refused(status: Int)
        /// No answer: refused, reset, closed early, too large, or past the timeout (`reports_failed`).
        case failed(String)
    }

    /// Where a connection goes: the address dialled, and the context of its TLS, if any.
    struct Target: Equatable {
        var host: String
        var port: Int
        var tls: NIOSSLContext?

        static func == (lhs: Target, rhs: Target) -> Bool { lhs.host == rhs.host && lhs.port == rhs.port && lhs.tls === rhs.tls }
    }

    /// What a batch is posted as: the path, its content type and the provider's headers.
    struct Request {
        var path: String
        var contentType: String
        var headers: [(String, String)] = []

        /// Zipkin's v2 API: a `ListOfSpans` as JSON.
        static let zipkin = Request(path: "/api/v2/spans", contentType: "application/json")
    }

    let eventLoop: any EventLoop
    let request: Request
    /// The collector's name, for Host and SNI; the target may be one of its endpoints.
    let authority: (host: String, port: Int)
    let maxResponseBytes: Int
    private var channel: (any Channel)?
    private(set) var target: Target?
    private var inFlight: EventLoopPromise<Outcome>?
    /// The batch on its way, sent again once if a kept connection turns out closed before answering
    /// (the collector's idle timeout can close it just as a batch leaves).
    private var resend: (body: ByteBuffer, target: Target)?
    private var timeout: Scheduled<Void>?
    /// Connections dialled, for tests: a kept connection is dialled once.
    private(set) var dials = 0

    init(eventLoop: any EventLoop, host: String, port: Int, request: Request = .zipkin, maxResponseBytes: Int = 64 * 1024) {
        self.eventLoop = eventLoop
        self.request = request
        self.authority = (host, port)
        self.maxResponseBytes = maxResponseBytes
    }

    /// Whether a batch is on its way (the next one waits for the next flush).
    var isBusy: Bool { inFlight != nil }

    /// The end of the batch on its way, if one is.
    var answer: EventLoopFuture<Void>? { inFlight.map { $0.futureResult.map { _ in } } }

    /// Posts `body` (a Zipkin v2 `ListOfSpans`, an OTLP export) as `request` says at `target`, reusing the open
    /// connection when it goes there. On the loop; one batch at a time.
    func post(_ body: ByteBuffer, to target: Target, timeout limit: TimeAmount) -> EventLoopFuture<Outcome> {
        eventLoop.preconditionInEventLoop()
        guard inFlight == nil else { return eventLoop.makeSucceededFuture(.failed("a batch is already on its way")) }
        let promise = eventLoop.makePromise(of: Outcome.self)
        inFlight = promise
        timeout = eventLoop.assumeIsolated().scheduleTask(in: limit) { [self] in
            finish(.failed("no answer from \(authority.host):\(authority.port) within \(limit.nanoseconds / 1_000_000) ms"), close: true)
        }
        if let channel, channel.isActive, self.target == target {
            resend = (body, target)
            send(body, on: channel)
        } else {
            connect(body, to: target, for: promise)
        }
        return promise.futureResult
    }

    private func connect(_ body: ByteBuffer, to target: Target, for promise: EventLoopPromise<Outcome>) {
        dial(target).assumeIsolated().whenComplete { [self] result in
            // The timeout may have ended this batch while dialling.
            let current = inFlight?.futureResult === promise.futureResult
            switch result {
            case .success(let channel) where current:
                self.channel = channel
                self.target = target
                send(body, on: channel)
            case .success(let channel):
                channel.close(promise: nil)
            case .failure(let error):
                if current { finish(.failed("\(error)"), close: false) }
            }
        }
    }

    /// Closes the connection (the exporter is stopping).
    func close() {
        // Forgotten first: closing on the loop ends the channel at once, and its end must not count as this batch's.
        let closing = channel
        channel = nil
        target = nil
        closing?.close(promise: nil)
    }

    private func dial(_ target: Target) -> EventLoopFuture<any Channel> {
        close()
        dials += 1
        let name = authority.host
        let connection = NIOLoopBound(self, eventLoop: eventLoop)
        return ClientBootstrap(group: eventLoop)
            .connectTimeout(.seconds(3))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls = target.tls {
                        // The certificate names the address (IP SAN) or the host name; SNI only for a name.
                        let sni = name.first?.isNumber == true || name.contains(":") ? nil : name
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: sni))
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(CollectorResponseHandler(connection: connection))
                }
            }
            .connect(host: target.host, port: target.port)
    }

    private func send(_ body: ByteBuffer, on channel: any Channel) {
        let host = authority.port == 80 ? authority.host : "\(authority.host):\(authority.port)"
        var headers: HTTPHeaders = ["host": host, "content-type": request.contentType, "content-length": String(body.readableBytes)]
        for (name, value) in request.headers { headers.add(name: name, value: value) }
        let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: request.path, headers: headers)
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.write(HTTPClientRequestPart.body(.byteBuffer(body)), promise: nil)
        // A write that fails closes the connection; its end sends the batch again once, or fails it.
        channel.writeAndFlush(HTTPClientRequestPart.end(nil)).whenFailure { _ in channel.close(promise: nil) }
    }

    /// The answer to the batch on the way, from `channel`'s handler (a closed connection's late
    /// answer is no answer to a later batch).
    func answered(_ outcome: Outcome, keepAlive: Bool, on channel: any Channel) {
        guard channel === self.channel else { return }
        finish(outcome, close: !keepAlive)
    }

    /// The connection ended: a batch on its way gets no answer.
    func connectionClosed(_ channel: any Channel) {
        guard channel === self.channel else { return }
        self.channel = nil
        target = nil
        if let (body, target) = resend, let promise = inFlight {
            resend = nil
            connect(body, to: target, for: promise)
            return
        }
        finish(.failed("connection closed before the response ended"), close: false)
    }

    private func finish(_ outcome: Outcome, close: Bool) {
        if close { self.close() }
        guard let promise = inFlight else { return }
        inFlight = nil
        resend = nil
        timeout?.cancel()
        timeout = nil
        promise.succeed(outcome)
    }
}

/// Reads a collector's answer: its status, and its body counted against the limit.
final class CollectorResponseHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    private let connection: NIOLoopBound<CollectorConnection>
    private var status = 0
    private var keepAlive = true
    private var received = 0

    init(connection: NIOLoopBound<CollectorConnection>) {
        self.connection = connection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            keepAlive = head.isKeepAlive
            received = 0
        case .body(let buffer):
            received += buffer.readableBytes
            if received > connection.value.maxResponseBytes {
                connection.value.answered(.failed("response larger than \(connection.value.maxResponseBytes) bytes"), keepAlive: false, on: context.channel)
            }
        case .end:
            connection.value.answered((200..<300).contains(status) ? .accepted : .refused(status: status), keepAlive: keepAlive, on: context.channel)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        connection.value.connectionClosed(context.channel)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
