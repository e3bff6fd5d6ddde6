import NIOCore
import NIOHTTP1
import WeftModel
import WeftTelemetry

/// The downstream side of an HTTP/1.1 listener, as a thin adapter: request parts and upstream
/// events go into the exchange's state machine (`ServerExchangeStateMachine`), and the handler
/// carries out the actions it returns: run the steps, connect, write, answer, close. Backpressure
/// runs both ways (a side that cannot write stops the other side's reads); nothing buffers a whole
/// body beyond the replay a retry needs. Nothing holds it weakly: a weak reference gives an object
/// a side table, and every retain and release of it then takes the runtime's slow path; its timers
/// and callbacks hold it until they run or are cancelled (`channelInactive` cancels them).
final class ProxyServerHandler: ChannelInboundHandler, RemovableChannelHandler, UpstreamHandler.Owner, HTTP1RequestReceiver {
    typealias InboundIn = ProxyRequestPart
    typealias OutboundOut = DownstreamResponsePart
    typealias Machine = ServerExchangeStateMachine<ProxyRequestPart, UpstreamHandler>

    /// Request bytes kept per exchange for replay; a larger request is not retried (Envoy's buffer limit).
    static let replayLimit = 1 << 20
    /// Envoy's default `max_request_headers_kb`.
    static let maximumHeaderBytes = 60 * 1024

    let listener: ListenerContext
    var machine = Machine(replayLimit: ProxyServerHandler.replayLimit)
    /// What the steps decided for the request in flight (nil between requests and for local answers).
    var exchange: Exchange?
    var context: ChannelHandlerContext?
    /// The downstream connection while the handler is on it (through the context, each read was an
    /// unowned reference loaded strong).
    var channel: (any Channel)?
    /// This loop's table of the proxy's Istio metrics (nil: not recorded).
    var metricsTable: NIOLoopBoundBox<RequestMetrics>?
    /// The route timeout and the per-try timeout of the exchange in flight (see +Timers).
    var timeoutTask: Scheduled<Void>?
    var perTryTask: Scheduled<Void>?
    /// A downstream read is being delivered: channelReadComplete flushes what went upstream.
    var insideRead = false
    /// Downstream reads are paused (each change of autoRead is a syscall; only real changes are made).
    private var readsPaused = false
    /// An external check that carries the request's body, waiting for it: run as each part is read.
    var checkBodyWaiter: (() -> Void)?
    /// Told where request heads arrive and responses run (its 408 must not cut into a response).
    let headersTimeout: RequestHeadersTimeout?
    /// HTTP/1.1: responses are written as bytes here (an HTTP/2 stream's parts go to its codec as they are).
    var responseEncoder = HTTP1ResponseEncoder()
    /// HTTP/1.1: what was encoded since the last flush, written at the flush as one buffer.
    var outbound = OutboundBytes()
    /// The channel's allocator, read once (each read through the channel is a protocol witness call).
    var allocator = ByteBufferAllocator()
    /// A response part was written since the last flush.
    var unflushed = false
    /// This loop's end-of-tick flushes (looked up once: the connection stays on its loop).
    lazy var flushes = TickFlushes.current
    /// The `CONNECT` in progress, if this connection is becoming a tunnel.
    var tunnel = ConnectTunnelStateMachine()
    /// The metrics of the request in flight, from its head to its answer's end (see +Telemetry).
    var requestTelemetry: RequestTelemetry?
    /// The last request's telemetry object, which the next one reuses (see `RequestTelemetry.restart`).
    var spareTelemetry: RequestTelemetry?
    /// The fields the last exchange forwarded: their storage, once nothing else holds it, is where
    /// the next head is read (`takeSpareHeaderStorage`).
    var lastRequestFields: HeaderFields?
    /// The access-logged response's field storage, for its upstream's next head (see `finishTelemetry`).
    var spareResponseStorage: SpareHeaderStorage?
    /// The access log line being written (its capacity kept from line to line).
    var accessLogLine: [UInt8] = []
    /// The listener's telemetry settings under the configuration of this connection's last request.
    var telemetrySettings: ListenerTelemetrySettings?
    /// What the connection gives its requests' contexts, under the configuration it was made for.
    private var cachedRequestConnection: RequestConnection?
    /// The configuration store's generation when `cachedRequestConnection` was made.
    private var cachedGeneration = -1
    /// The series this connection's last request counted in, and what it was made from.
    var seriesCache: (facts: RequestTelemetry.SeriesFacts, id: RequestMetrics.SeriesID)?
    /// A gRPC status that came in the response's head (a trailers-only answer): sent as trailers at its end.
    var grpcStatusOfHead: HTTPHeaders?
    /// The request in flight is a gRPC call: local answers go out as gRPC statuses.
    var answersGRPC = false
    /// The upgrade the request in flight asks for (HTTP/1.1 only).
    var requestUpgrade: HTTPUpgrade?
    /// This connection's two ends as access logs write them (`ip:port`), read once.
    lazy var downstreamAddresses: (remote: String?, local: String?) = context.map { context in
        (listener.remoteAddress(of: context.channel)?.accessLogText, listener.localAddress(of: context.channel)?.accessLogText)
    } ?? (nil, nil)
    /// `spiffe://` + the mutual TLS peer's principal, made once per connection.
    lazy var peerSPIFFE: String = peer.map { "spiffe://\($0.principal)" } ?? "unknown"

    /// The mutual TLS peer of this connection (inbound), nil for plaintext.
    let peer: ConnectionPeer?
    /// What this connection's requests carry on as `X-Forwarded-Client-Cert` (made once): a
    /// gateway's as its `gatewayTopology` says; outbound, Envoy's default SANITIZE (an app cannot
    /// speak for a certificate); inbound, Istio's APPEND_FORWARD: a proved peer's element after
    /// what it sent (a gateway's description of its client), none from a plaintext peer.
    lazy var clientCertificate: ForwardedClientCert = {
        if let edge = listener.gatewayEdge { return edge.forwardedClientCert(details: peer?.gatewayElement) }
        guard listener.inboundPort != nil, let peer else { return .sanitize }
        return .append(peer.certificate.forwardedClientCert(by: peer.localIdentity))
    }()

    /// One stream of an HTTP/2 connection (its bytes are frames: no CONNECT splice on it).
    let http2: Bool
    /// An HTTP/2 stream's extended CONNECT translator: a WebSocket over HTTP/2 is proxied as the upgrade it stands for.
    let extendedConnect: ExtendedConnectCodec?

    init(listener: ListenerContext, headersTimeout: RequestHeadersTimeout? = nil, peer: ConnectionPeer? = nil, http2: Bool = false,
         extendedConnect: ExtendedConnectCodec? = nil) {
        self.listener = listener
        self.headersTimeout = headersTimeout
        self.peer = peer
        self.http2 = http2
        self.extendedConnect = extendedConnect
    }

    /// The client's IP address (the peer's, or a PROXY header's), read once per connection (each read of it takes a lock).
    private var cachedPeerAddress: String??
    /// The address the connection arrived on (inbound), read once.
    private var cachedLocalAddress: String??

    func peerAddress(_ context: ChannelHandlerContext) -> String? {
        if let cached = cachedPeerAddress { return cached }
        let address = listener.remoteAddress(of: context.channel)?.ipText
        cachedPeerAddress = .some(address)
        return address
    }

    func handlerAdded(context: ChannelHandlerContext) {
        allocator = context.channel.allocator
        self.context = context
        channel = context.channel
        metricsTable = listener.telemetry?.metrics(on: context.eventLoop)
    }
    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        channel = nil
        // A check still waiting for a body holds the context: let both go.
        checkBodyWaiter = nil
    }

    // MARK: downstream events

    /// An HTTP/2 stream's parts come down the pipeline.
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        receive(unwrapInboundIn(data), context: context)
    }

    /// HTTP/1.1: the connection's decoder hands each part over directly, during its read.
    func received(_ part: consuming ProxyRequestPart) {
        guard let context else { return }
        receive(consume part, context: context)
    }

    /// HTTP/1.1: the connection's decoder hands the head over on its own, its keep-alive read.
    func receivedHead(_ head: consuming ProxyRequestHead, keepAlive: Bool) {
        guard let context else { return }
        headersTimeout?.headReceived()
        insideRead = true
        act(on: machine.requestHead(.head(consume head), keepAlive: http2 || keepAlive), context: context)
        insideRead = false
    }

    private func receive(_ part: consuming ProxyRequestPart, context: ChannelHandlerContext) {
        // Where requests begin and end on the wire, before any pipelined request is held.
        switch part {
        case .head: headersTimeout?.headReceived()
        case .end: headersTimeout?.awaitingHead = true
        case .body: break
        }
        insideRead = true
        handle(consume part, context: context)
        insideRead = false
    }

    /// Takes the part over: an HTTP/2 stream's parts, a connection's held parts, and HTTP/1.1's
    /// body parts and ends (its heads come through `receivedHead`, without being read out of a part).
    func handle(_ part: consuming ProxyRequestPart, context: ChannelHandlerContext) {
        // Taken apart once and put back together for the machine: read on the part (its keep-alive,
        // its size), each read copied it first to look into it.
        let action: Machine.RequestPartAction
        switch consume part {
        case .head(let head):
            // An HTTP/2 stream is never "closed after the answer": it ends with its END_STREAM. (NIO calls
            // an HTTP/2 head without a Connection header not keep-alive; closing the stream then reset it
            // with CANCEL whenever the request's end had not been read yet.)
            let keepAlive = http2 || head.isKeepAlive
            action = machine.requestHead(.head(consume head), keepAlive: keepAlive)
        case .body(let buffer):
            let bytes = buffer.readableBytes
            action = machine.requestBody(.body(consume buffer), bytes: bytes)
        case .end(let trailers):
            action = machine.requestEnd(.end(consume trailers))
        }
        act(on: action, context: context)
    }

    /// Carries out what the machine answered for a request part.
    private func act(on action: consuming Machine.RequestPartAction, context: ChannelHandlerContext) {
        switch consume action {
        case .none:
            if let waiter = checkBodyWaiter { waiter() }
        case .decide(let part):
            if case .head(let head) = consume part { start(consume head, context: context) }
        case .hold(let pauseReads):
            if pauseReads { setReading(false) }
        case .writeUpstream(let part, let upstream, let mirror):
            switch part {
            case .body(let buffer):
                requestTelemetry?.requestBytes += buffer.readableBytes
                // Written now, flushed once per read (channelReadComplete): one syscall for many parts.
                upstream.write(.body(.byteBuffer(buffer)))
                // The flush may drain the buffer and announce writability again at once; pause only
                // if it is still full, or the resume has already gone by and reads never come back.
                if !upstream.isWritable {
                    upstream.flush()
                    if !upstream.isWritable { setReading(false) }
                }
            case .end(let trailers):
                upstream.write(.end(trailers))
                upstream.flush(atTickEnd: true)
            case .head:
                break
            }
            if let mirror { sendMirrors(mirror) }
        case .finished(let after):
            carryOut(after, context: context)
        case .close:
            context.closeFlushed()
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        machine.attachedUpstream?.flush(atTickEnd: true)
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        machine.attachedUpstream?.setReading(context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    /// The listener drains (ServerQuiescingHelper): an HTTP/1.1 connection closes now if idle, else
    /// after its answer; an HTTP/2 stream carries on (its connection's GOAWAY is the connection manager's).
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else { return context.fireUserInboundEventTriggered(event) }
        guard !http2 else { return }
        listener.stats.increment("downstream_cx_drain_close")
        if machine.drain() { context.closeFlushed() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimeouts()
        tunnel.downstreamClosed()
        // The client left before its answer ended: Envoy's DC, with the status sent so far.
        if requestTelemetry != nil { finishTelemetry(flags: "DC") }
        if let upstream = machine.downstreamClosed(), let exchange {
            endAttempt(exchange, on: upstream, finished: false)
        }
        exchange = nil
        context.fireChannelInactive()
    }

    /// Pauses or resumes downstream reads; a resume waits while later requests are held.
    func setReading(_ reading: Bool) {
        guard let context, readsPaused == reading, !(reading && machine.holdsRequests) else { return }
        readsPaused = !reading
        context.channel.setOption(ChannelOptions.autoRead, value: reading).whenComplete { _ in }
        // An HTTP/2 stream asks for no read when autoRead comes back on: ask, or held frames stay held.
        if reading && http2 { context.read() }
    }

    // MARK: the steps

    private func start(_ head: consuming ProxyRequestHead, context: ChannelHandlerContext) {
        listener.stats.countRequest()
        let targetBytes = head.uri.utf8.count + (head.targetAuthority?.utf8.count ?? 0)
        // The fields are counted one by one only when the bound read without a walk is over.
        if targetBytes + head.headers.storedLineBytes > Self.maximumHeaderBytes, targetBytes + head.headers.lineBytes > Self.maximumHeaderBytes {
            listener.stats.increment("downstream_rq_header_overflow")
            answer(LocalResponse(status: 431, flag: "", body: "Request Header Fields Too Large"), version: head.version, closing: true)
            return
        }
        if head.method.isCONNECT {
            // Extended CONNECT over HTTP/2 (RFC 8441) is not offered; a plain one cannot be spliced on a stream.
            guard !http2 else { return answer(LocalResponse(status: 501, flag: "", body: "CONNECT over HTTP/2 is not supported"), version: head.version, closing: true) }
            startTunnel(head, context: context)
            return
        }
        let facts = RequestHeadFacts(head)
        requestUpgrade = !http2 || extendedConnect?.translated == true ? facts.upgrade : nil
        // After an upgrade request the codec reads no more HTTP: unless the connection switches, it closes.
        if requestUpgrade != nil { machine.closeAfterExchange() }
        if requestUpgrade == .refused {
            listener.stats.increment("downstream_rq_upgrade_failed")
            return answer(LocalResponse(status: 403, flag: "", body: ""), version: head.version, closing: true)
        }
        answersGRPC = facts.grpc
        // At a gateway every request is an edge request (Envoy counts no address internal since
        // 1.33) and Istio leaves `preserve_external_request_id` off: the client's id is replaced.
        if listener.gatewayEdge != nil, head.headers.contains("x-request-id") { head.headers.remove("x-request-id") }
        let connection = requestConnection(context: context)
        let (authority, originForm) = ForwardedHeaders.target(of: head, knownAuthority: connection.hints?.lastAuthority)
        let hostAndPort = connection.hints?.split(authority: authority, defaultPort: listener.defaultPort)
            ?? RequestAttributes.split(authority: authority, defaultPort: listener.defaultPort)
        let attributes = RequestAttributes(host: hostAndPort, path: originForm, method: head.method.rawValue, scheme: listener.scheme,
                                           fields: head.headers)
        beginTelemetry(head, attributes: attributes, originForm: originForm, configuration: connection.configuration)
        // The attributes are handed over (their fields are the head's: a local left holding them
        // until the first attempt made forwarding copy the head's fields to edit them).
        decide(RequestContext(attributes: consume attributes, connection: connection),
               head: consume head, originForm: originForm, expectsContinue: facts.expectsContinue, context: context)
    }

    /// What this connection gives its requests' contexts, made again when the configuration changed
    /// (with its route table's index, and new lookup hints). The store's generation says whether it
    /// did: an atomic load a request, where reading the configuration takes the store's lock.
    private func requestConnection(context: ChannelHandlerContext) -> RequestConnection {
        let generation = listener.configuration.generation
        if generation == cachedGeneration, let cached = cachedRequestConnection { return cached }
        let configuration = listener.configuration.active
        cachedGeneration = generation
        if let cached = cachedRequestConnection, cached.configuration === configuration { return cached }
        let authorizes = listener.enforcesAuthorization
        if authorizes, cachedLocalAddress == nil { cachedLocalAddress = .some(listener.localAddress(of: context.channel)?.ipText) }
        let made = RequestConnection(configuration: configuration, routeTable: listener.routeTable,
                                     routeIndex: listener.routeTable.flatMap { configuration.virtualHosts[$0] }, hints: LookupHints(),
                                     downstreamHTTP2: http2, sourceAddress: peerAddress(context), peerPrincipal: peer?.principal,
                                     originalDestination: listener.originalDestination,
                                     localPort: authorizes ? listener.inboundPort ?? listener.defaultPort : nil,
                                     localAddress: authorizes ? cachedLocalAddress ?? nil : nil,
                                     trustedProxies: listener.gatewayEdge?.trustedProxies ?? 0)
        cachedRequestConnection = made
        return made
    }

    /// Runs the steps and acts on their decision. The context and the head are parameters taken,
    /// not locals, so they move on to the exchange (a local `var` was copied there: ~1.5k
    /// instructions of retains and releases for the context's fields).
    private func decide(_ request: consuming RequestContext, head: consuming ProxyRequestHead, originForm: String, expectsContinue: Bool,
                        context: ChannelHandlerContext) {
        head.uri = originForm
        if expectsContinue { continueIfExpected(&head, context: context) }
        let decision = listener.pipeline.decide(&request)
        telemetryRouted(request)
        if let check = request.externalCheck {
            checkExternally(decision, check: check, head: head, request: request, context: context)
        } else if let milliseconds = request.faultDelayMs {
            delay(decision, by: milliseconds, head: head, request: request, context: context)
        } else {
            carryOut(decision, head: consume head, request: consume request)
        }
    }

    /// Answers locally or starts the first upstream attempt, as the steps decided. The head and the
    /// context are taken, not copied: the exchange keeps them.
    func carryOut(_ decision: consuming RequestDecision, head: consuming ProxyRequestHead, request: consuming RequestContext) {
        switch consume decision {
        case .respond(let response):
            answer(response, version: head.version)
        case .forward(let upstream):
            telemetryForward(upstream)
            if let path = upstream.path { head.uri = path }
            if let authority = upstream.authority { head.headers.replaceOrAdd("host", value: authority) }
            let admitted = request.countsAgainstMaxRequests ? UpstreamAttempt.admit(.request, upstream, pool: listener.pool.value) : nil
            let needsID = !head.headers.contains("x-request-id")
            // Read before the head moves into the exchange (read from there, it was copied for the call).
            let grpcTimeout = answersGRPC ? head.headers.first("grpc-timeout") : nil
            let exchange = Exchange(requestHead: consume head, upstream: upstream, request: consume request)
            // Made here, once per request, as Envoy makes it before routing: every attempt (and the
            // access log, the span, which read the forwarded head) carries the same id.
            if needsID { exchange.requestID = RequestID.draw() }
            if case .websocket(let protocols)? = requestUpgrade {
                // To an HTTP/1.1 upstream the handshake goes as it came and the connection it opens is
                // spliced after the 101; to an HTTP/2 one, as an extended CONNECT whose stream is spliced.
                exchange.upgrade = protocols
            }
            if case .admitted(let slot)? = admitted { exchange.requestSlot = slot }
            self.exchange = exchange
            machine.forward(retry: exchange.request.retry, mirrors: !exchange.request.mirrors.isEmpty)
            startTimeout(exchange.request.timeoutMs, grpcTimeout: grpcTimeout)
            connect(exchange)
        }
    }

    /// Writes a local answer for the exchange in flight (the steps', an overflow, a failure, a timeout).
    func answer(_ response: LocalResponse, version: HTTPVersion, closing: Bool = false, counting clusterStat: String? = nil) {
        perform(machine.answer(closing: closing), answer: response, counting: clusterStat, version: version)
    }
}
