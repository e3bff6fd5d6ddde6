import NIOCore
import NIOHTTP1
import WeftModel

/// The downstream side of an HTTP/1.1 listener: each request is decided by the request steps,
/// then answered locally or streamed to an upstream connection and back, with backpressure both
/// ways (a side that cannot write stops the other side's reads). Nothing buffers a whole body.
final class ProxyServerHandler: ChannelInboundHandler, RemovableChannelHandler, UpstreamHandler.Owner {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// What the handler is doing with the current request.
    enum State {
        case idle
        /// Waiting for an upstream connection; request parts read so far wait here.
        case connecting(Exchange, buffered: [HTTPServerRequestPart])
        case proxying(Exchange, upstream: any Channel)
        /// Answered locally (or the upstream answered early): drop the rest of the request body.
        case discarding(keepAlive: Bool)
        /// A `CONNECT` is being connected; then the HTTP handlers leave the pipeline.
        case tunnelling
        /// A fault delay holds a local answer: request parts are dropped until it is written.
        case delayed(keepAlive: Bool, requestDone: Bool)
        case closed

        /// No upstream exchange is attached, so the proxy may answer a malformed request itself.
        var acceptsLocalAnswer: Bool {
            switch self {
            case .idle, .discarding, .delayed: return true
            case .connecting, .proxying, .tunnelling, .closed: return false
            }
        }
    }

    let listener: ListenerContext
    var state = State.idle {
        didSet { if case .idle = state, !pipelined.isEmpty { resumePipelined() } }
    }
    /// The downstream request's `.end` has not arrived yet (its parts belong to the exchange).
    var requestOpen = false
    /// Parts of later requests a client pipelined while this one was answered (see PipelinedRequests).
    var pipelined: [HTTPServerRequestPart] = []
    var context: ChannelHandlerContext?
    /// The route timeout of the exchange in flight (see ProxyServerHandler+Policies).
    var timeoutTask: Scheduled<Void>?
    /// The per-try timeout of the attempt in flight (see ProxyServerHandler+Retry).
    var perTryTask: Scheduled<Void>?

    /// Told where request heads arrive and responses run (its 408 must not cut into a response).
    let headersTimeout: RequestHeadersTimeout?

    init(listener: ListenerContext, headersTimeout: RequestHeadersTimeout? = nil) {
        self.listener = listener
        self.headersTimeout = headersTimeout
    }

    /// The peer's IP address, read once per connection (each read of it takes a lock).
    private var cachedPeerAddress: String??

    private func peerAddress(_ context: ChannelHandlerContext) -> String? {
        if let cached = cachedPeerAddress { return cached }
        let address = context.channel.remoteAddress?.ipAddress
        cachedPeerAddress = .some(address)
        return address
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        // Where requests begin and end on the wire, before any pipelined request is held.
        switch part {
        case .head: headersTimeout?.headReceived()
        case .end: headersTimeout?.awaitingHead = true
        case .body: break
        }
        handle(part, context: context)
    }

    func handle(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        if holdIfPipelined(part, context: context) { return }
        if case .head = part { requestOpen = true } else if case .end = part { requestOpen = false }
        switch (state, part) {
        case (.idle, .head(let head)):
            start(head, context: context)
        case (.connecting(let exchange, var buffered), _):
            buffered.append(part)
            if case .end = part { exchange.requestDone = true }
            state = .connecting(exchange, buffered: buffered)
        case (.proxying(let exchange, let upstream), .body(let buffer)):
            // Written now, flushed once per read (channelReadComplete): one syscall for many parts.
            exchange.remember(part)
            state = .proxying(exchange, upstream: upstream)
            upstream.write(HTTPClientRequestPart.body(.byteBuffer(buffer)), promise: nil)
            if !upstream.isWritable {
                upstream.flush()
                context.channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in }
            }
        case (.proxying(let exchange, let upstream), .end(let trailers)):
            upstream.writeAndFlush(HTTPClientRequestPart.end(trailers), promise: nil)
            exchange.remember(part)
            exchange.requestDone = true
            mirror(exchange)
            state = .proxying(exchange, upstream: upstream)
        case (.discarding(let keepAlive), .end):
            state = .idle
            if !keepAlive { context.close(promise: nil) }
        case (.delayed(let keepAlive, _), .end):
            state = .delayed(keepAlive: keepAlive, requestDone: true)
        case (.discarding, _), (.closed, _), (.tunnelling, _), (.delayed, _):
            break
        case (.idle, _), (.proxying, .head):
            // A body without a head, or a second head mid-exchange: the codec guarantees neither.
            context.close(promise: nil)
        }
    }

    /// Envoy's default `max_request_headers_kb`.
    static let maximumHeaderBytes = 60 * 1024

    private func start(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        listener.stats.increment("downstream_rq_total")
        let headerBytes = head.uri.utf8.count + head.headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 4 }
        if headerBytes > Self.maximumHeaderBytes {
            listener.stats.increment("downstream_rq_header_overflow")
            respondLocally(LocalResponse(status: 431, flag: "", body: "Request Header Fields Too Large"), keepAlive: false, requestDone: false, version: head.version, context: context)
            return
        }
        if head.method == .CONNECT {
            startTunnel(head, context: context)
            return
        }
        let (authority, originForm) = ForwardedHeaders.target(of: head)
        let attributes = RequestAttributes(authority: authority, path: originForm, method: head.method.rawValue, scheme: listener.scheme,
                                           headers: head.headers.map { ($0.name, $0.value) }, defaultPort: listener.defaultPort)
        var request = RequestContext(attributes: attributes, configuration: listener.configuration.active, routeTable: listener.routeTable)
        request.sourceAddress = peerAddress(context)
        var forwardedHead = head
        forwardedHead.uri = originForm
        let decision = listener.pipeline.decide(&request)
        if let milliseconds = request.faultDelayMs {
            delay(decision, by: milliseconds, head: forwardedHead, context: context, request: request)
        } else {
            carryOut(decision, head: forwardedHead, context: context, insideRead: true, request: request)
        }
    }

    /// Answers locally or starts forwarding, as the steps decided.
    /// `insideRead`: called while a downstream read is delivered, so channelReadComplete flushes after it.
    func carryOut(_ decision: RequestDecision, head forwardedHead: HTTPRequestHead, context: ChannelHandlerContext, insideRead: Bool, request: RequestContext) {
        switch decision {
        case .respond(let response):
            // After a fault delay the request may have ended meanwhile; otherwise only its head is in.
            var requestDone = false
            if case .delayed(_, let done) = state { requestDone = done }
            respondLocally(response, keepAlive: forwardedHead.isKeepAlive, requestDone: requestDone, version: forwardedHead.version, context: context)
        case .forward(let upstream):
            var forwardedHead = forwardedHead
            if let path = upstream.path { forwardedHead.uri = path }
            if let authority = upstream.authority { forwardedHead.headers.replaceOrAdd(name: "host", value: authority) }
            let exchange = Exchange(requestHead: forwardedHead, upstream: upstream, keepAlive: forwardedHead.isKeepAlive)
            if upstream.connectionPool.maxRequests != nil {
                guard let slot = listener.pool.value.admit(.request, cluster: upstream.cluster, policy: upstream.connectionPool) else {
                    // http2MaxRequests: Envoy's max_requests breaker answers like a full pending queue.
                    listener.stats.increment(cluster: upstream.cluster, "upstream_rq_pending_overflow")
                    var requestDone = false
                    if case .delayed(_, let done) = state { requestDone = done }
                    respondLocally(LocalResponse(status: 503, flag: "UO", body: "upstream connect error or disconnect/reset before headers. reset reason: overflow"),
                                   keepAlive: forwardedHead.isKeepAlive, requestDone: requestDone, version: forwardedHead.version, context: context)
                    return
                }
                exchange.requestSlot = slot
            }
            exchange.retry = request.route?.policy.retry
            exchange.request = request
            if case .connecting(_, let buffered) = state {
                state = .connecting(exchange, buffered: buffered)
            } else {
                state = .connecting(exchange, buffered: [])
            }
            startTimeout(upstream, context: context)
            connect(upstream, context: context, insideRead: insideRead)
        }
    }

    /// Takes a pooled connection to the upstream, or opens one, for the exchange in `.connecting`.
    func connect(_ upstream: RequestDecision.Upstream, context: ChannelHandlerContext, insideRead: Bool) {
        // A pooled connection is there at once: no need to pause reads (each pause and resume is a syscall).
        if let idle = listener.pool.value.takeIdle(host: upstream.host, port: upstream.port) {
            attach(idle, readsPaused: false, insideRead: insideRead)
            return
        }
        context.channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in }
        listener.pool.value.acquire(host: upstream.host, port: upstream.port, cluster: upstream.cluster, policy: upstream.connectionPool,
                                    connectTimeout: .milliseconds(Int64(upstream.connectTimeoutMs)))
            .hop(to: context.eventLoop)
            .assumeIsolated()
            .whenComplete { [weak self] result in
                switch result {
                case .success(let channel): self?.attach(channel)
                case .failure(let error) where error is UpstreamConnectionPool.PendingOverflow: self?.pendingOverflow()
                case .failure: self?.connectFailed()
                }
            }
    }

    private func attach(_ upstream: any Channel, readsPaused: Bool = true, insideRead: Bool = false) {
        guard let context, case .connecting(let exchange, let buffered) = state else {
            upstream.close(promise: nil)
            return
        }
        guard let handler = try? upstream.pipeline.syncOperations.handler(type: UpstreamHandler.self) else {
            upstream.close(promise: nil)
            connectFailed()
            return
        }
        handler.owner = self
        listener.balancer.started(exchange.upstream.host, exchange.upstream.port)
        var head = ForwardedHeaders.request(exchange.requestHead, originForm: exchange.requestHead.uri,
                                            clientAddress: listener.appendForwardedFor ? context.channel.remoteAddress?.ipAddress : nil,
                                            scheme: listener.scheme, edits: exchange.upstream.headers)
        // Every attempt carries the same request id; retries say which attempt they are.
        if let id = head.headers.first(name: "x-request-id") { exchange.requestHead.headers.replaceOrAdd(name: "x-request-id", value: id) }
        if exchange.attempt > 1 { head.headers.replaceOrAdd(name: "x-envoy-attempt-count", value: String(exchange.attempt)) }
        upstream.write(HTTPClientRequestPart.head(head), promise: nil)
        startPerTryTimeout(exchange, context: context)
        for part in buffered {
            exchange.remember(part)
            switch part {
            case .body(let buffer): upstream.write(HTTPClientRequestPart.body(.byteBuffer(buffer)), promise: nil)
            case .end(let trailers): upstream.write(HTTPClientRequestPart.end(trailers), promise: nil)
            case .head: break
            }
        }
        // Attached inside a downstream read, the flush comes with the request's end or at channelReadComplete.
        if !insideRead { upstream.flush() }
        exchange.requestDone = buffered.contains { if case .end = $0 { return true } else { return false } }
        mirror(exchange)
        state = .proxying(exchange, upstream: upstream)
        if readsPaused {
            context.channel.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
            context.read()
        }
    }

    /// The cluster's connections and pending queue are full: Envoy's 503 with flag UO, counted.
    private func pendingOverflow() {
        guard let context, case .connecting(let exchange, _) = state else { return }
        listener.stats.increment(cluster: exchange.upstream.cluster, "upstream_rq_pending_overflow")
        context.channel.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
        respondLocally(LocalResponse(status: 503, flag: "UO", body: "upstream connect error or disconnect/reset before headers. reset reason: overflow"),
                       keepAlive: exchange.keepAlive, requestDone: exchange.requestDone, version: exchange.requestHead.version, context: context)
        context.read()
    }

    private func connectFailed() {
        guard let context, case .connecting(let exchange, let buffered) = state else { return }
        listener.stats.increment("upstream_cx_connect_fail")
        listener.stats.increment(cluster: exchange.upstream.cluster, "upstream_cx_connect_fail")
        recordOutcome(.localFailure, of: exchange)
        if retry(exchange, parts: buffered, after: .connectFailure) { return }
        listener.stats.increment(cluster: exchange.upstream.cluster, "upstream_rq_503")
        context.channel.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
        respondLocally(LocalResponse(status: 503, flag: "UF", body: "upstream connect error or disconnect/reset before headers. reset reason: connection failure"),
                       keepAlive: exchange.keepAlive, requestDone: exchange.requestDone, version: exchange.requestHead.version, context: context)
        context.read()
    }

    // MARK: upstream events (same event loop)

    func upstreamReceived(_ part: HTTPClientResponsePart) {
        guard let context, case .proxying(let exchange, let upstream) = state else { return }
        switch part {
        case .head(let head):
            recordOutcome(.status(Int(head.status.code)), of: exchange)
            if let policy = exchange.retry, let failure = Self.retriable(head, policy), retryAfterStatus(exchange, upstream: upstream, failure: failure) { return }
            cancelPerTryTimeout()
            exchange.responseStarted = true
            exchange.upstreamKeepAlive = head.isKeepAlive
            listener.stats.increment(ProxyStats.statusClass(Int(head.status.code)))
            let response = ForwardedHeaders.response(head, version: exchange.requestHead.version, edits: exchange.upstream.headers)
            var finalHead = response
            finalHead.headers.replaceOrAdd(name: "connection", value: exchange.keepAlive ? "keep-alive" : "close")
            for header in exchange.upstream.responseHeaders { finalHead.headers.add(name: header.name, value: header.value) }
            send(.head(finalHead), context: context)
            state = .proxying(exchange, upstream: upstream)
        case .body(let buffer):
            // Flushed at the end of the upstream read (upstreamReadComplete) or with the response's end.
            send(.body(.byteBuffer(buffer)), context: context)
            if !context.channel.isWritable {
                context.flush()
                upstream.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in }
            }
        case .end(let trailers):
            cancelTimeout()
            send(.end(trailers), flush: true, context: context)
            finishUpstream(exchange, upstream: upstream, reusable: exchange.upstreamKeepAlive && exchange.requestDone)
            if exchange.requestDone {
                state = .idle
                if !exchange.keepAlive { context.close(promise: nil) }
            } else {
                state = .discarding(keepAlive: exchange.keepAlive)
            }
        }
    }

    func upstreamReadComplete() {
        context?.flush()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if case .proxying(_, let upstream) = state { upstream.flush() }
        context.fireChannelReadComplete()
    }

    func upstreamClosed() {
        guard let context, case .proxying(let exchange, let upstream) = state else { return }
        listener.balancer.finished(exchange.upstream.host, exchange.upstream.port)
        _ = upstream
        if exchange.responseStarted {
            // Headers already went out: the only honest signal left is to close.
            state = .closed
            context.close(promise: nil)
        } else {
            listener.stats.increment("upstream_cx_destroy_remote_with_active_rq")
            listener.stats.increment(cluster: exchange.upstream.cluster, "upstream_cx_destroy_remote_with_active_rq")
            recordOutcome(.localFailure, of: exchange)
            if retry(exchange, parts: exchange.replay, after: .reset) { return }
            listener.stats.increment(cluster: exchange.upstream.cluster, "upstream_rq_503")
            respondLocally(LocalResponse(status: 503, flag: "UC", body: "upstream connect error or disconnect/reset before headers. reset reason: connection termination"),
                           keepAlive: exchange.keepAlive, requestDone: exchange.requestDone, version: exchange.requestHead.version, context: context)
        }
    }

    /// Envoy answers an upstream that does not speak HTTP with 502 and flag UPE (before any header went out).
    func upstreamProtocolError() {
        guard let context, case .proxying(let exchange, let upstream) = state else { return }
        listener.balancer.finished(exchange.upstream.host, exchange.upstream.port)
        upstream.close(promise: nil)
        listener.stats.increment(cluster: exchange.upstream.cluster, "upstream_cx_protocol_error")
        recordOutcome(.status(502), of: exchange)
        if exchange.responseStarted {
            state = .closed
            context.close(promise: nil)
            return
        }
        listener.stats.increment(cluster: exchange.upstream.cluster, "upstream_rq_502")
        respondLocally(LocalResponse(status: 502, flag: "UPE", body: "upstream connect error or disconnect/reset before headers. reset reason: protocol error"),
                       keepAlive: exchange.keepAlive, requestDone: exchange.requestDone, version: exchange.requestHead.version, context: context)
    }

    /// Counts an attempt's outcome against its endpoint when the cluster has outlier detection.
    func recordOutcome(_ outcome: EndpointOutcome, of exchange: Exchange) {
        guard let policy = exchange.upstream.outlierDetection else { return }
        let endpoint = "\(exchange.upstream.host):\(exchange.upstream.port)"
        if listener.balancer.record(outcome, cluster: exchange.upstream.cluster, endpoint: endpoint, policy: policy, endpointCount: exchange.upstream.endpointCount) {
            listener.stats.increment(cluster: exchange.upstream.cluster, "outlier_detection.ejections_enforced_total")
        }
    }

    func upstreamWritabilityChanged(_ writable: Bool) {
        context?.channel.setOption(ChannelOptions.autoRead, value: writable).whenComplete { _ in }
    }

    func finishUpstream(_ exchange: Exchange, upstream: any Channel, reusable: Bool) {
        listener.balancer.finished(exchange.upstream.host, exchange.upstream.port)
        if let handler = try? upstream.pipeline.syncOperations.handler(type: UpstreamHandler.self) { handler.owner = nil }
        upstream.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
        if reusable {
            listener.pool.value.release(upstream, host: exchange.upstream.host, port: exchange.upstream.port)
        } else {
            upstream.close(promise: nil)
        }
    }

    // MARK: downstream events

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if case .proxying(_, let upstream) = state {
            upstream.setOption(ChannelOptions.autoRead, value: context.channel.isWritable).whenComplete { _ in }
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimeout()
        switch state {
        case .proxying(let exchange, let upstream):
            listener.balancer.finished(exchange.upstream.host, exchange.upstream.port)
            if let handler = try? upstream.pipeline.syncOperations.handler(type: UpstreamHandler.self) { handler.owner = nil }
            upstream.close(promise: nil)
        default:
            break
        }
        state = .closed
        context.fireChannelInactive()
    }
}
