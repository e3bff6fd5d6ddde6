import NIOCore
import NIOHTTP1
import WeftModel

/// The upstream side of the exchange: each attempt (the first, every retry) goes through
/// `UpstreamAttempt`, and what the upstream does comes back as machine inputs.
extension ProxyServerHandler {
    /// Carries out an exchange action; `answer` is the local answer should the action be one (made
    /// only then: made for every attached connection, it was built and destroyed each time), and
    /// `clusterStat` what is counted against the cluster then.
    func perform(_ action: consuming Machine.ExchangeAction, answer response: @autoclosure () -> LocalResponse, counting clusterStat: String? = nil,
                 version: HTTPVersion? = nil) {
        guard let context else { return }
        // Taken apart, not read: the payloads move out (a read copied them, and the action was
        // then destroyed whole through its type's value witness).
        switch consume action {
        case .none:
            break
        case .writeRequest(let upstream, let parts, let attempt, let mirror):
            guard let exchange else { return }
            write(exchange, to: upstream, parts: parts, attempt: attempt, context: context)
            if let mirror { sendMirrors(mirror) }
        case .retry(let attempt, let teardown):
            guard let exchange else { return }
            if let teardown { endAttempt(exchange, on: teardown, finished: false) }
            retry(exchange, attempt: attempt)
        case .answer(let after, let keepAlive, let teardown, let retryLimit):
            var response = response()
            if let exchange {
                if let teardown { endAttempt(exchange, on: teardown, finished: false) }
                if retryLimit == .overflow { listener.stats.increment(cluster: exchange.upstream.cluster, "upstream_rq_retry_overflow") }
                if retryLimit == .exhausted { listener.stats.increment(cluster: exchange.upstream.cluster, "upstream_rq_retry_limit_exceeded") }
                if let clusterStat { listener.stats.increment(cluster: exchange.upstream.cluster, clusterStat) }
            }
            // Envoy logs the cause first, then why it was not retried: UF,URX.
            if let flag = retryLimit.flag { response.flag = response.flag.isEmpty ? flag : "\(response.flag),\(flag)" }
            respondLocally(response, keepAlive: keepAlive, version: version ?? exchange?.version ?? .http1_1, context: context)
            carryOut(after, context: context)
        case .forwardResponseHead:
            // Only a response's own parts lead here (see upstreamReceived).
            break
        case .closeConnection(let teardown):
            cancelTimeouts()
            if let teardown, let exchange { endAttempt(exchange, on: teardown, finished: false) }
            exchange = nil
            context.closeFlushed()
        case .discardConnection(let upstream):
            upstream.abandon()
        }
    }

    /// Takes a pooled connection to the exchange's upstream at once, or waits for one with reads paused.
    func connect(_ exchange: Exchange) {
        switch UpstreamAttempt.connect(exchange.upstream, pool: listener.pool.value) {
        case .ready(let connection):
            attach(connection, for: exchange)
        case .opening(let future):
            setReading(false)
            future.hop(to: listener.pool.value.eventLoop).assumeIsolated().whenComplete { result in
                guard self.context != nil, self.exchange === exchange else {
                    if case .success(let connection) = result { connection.value.abandon() }
                    return
                }
                switch result {
                case .success(let connection): self.attach(connection.value, for: exchange)
                case .failure(let error) where error is UpstreamConnectionPool.PendingOverflow: self.pendingOverflow(exchange)
                case .failure: self.connectFailed(exchange)
                }
            }
        }
    }

    private func attach(_ connection: UpstreamHandler, for exchange: Exchange) {
        perform(machine.attached(connection), answer: LocalResponse(status: 503, flag: "UF"))
    }

    private func write(_ exchange: Exchange, to connection: UpstreamHandler, parts: [ProxyRequestPart], attempt: Int, context: ChannelHandlerContext) {
        connection.lease(to: self)
        if exchange.upstream.countsInFlight { listener.balancer.started(exchange.upstream.host, exchange.upstream.port) }
        var head: ProxyRequestHead
        // A flag, not the optional head compared with nil: that read copied the head and destroyed the copy.
        let resent = exchange.headForwarded
        if resent, let sent = exchange.forwardedHead {
            // A retry: the head the first attempt sent, with its count (and the mesh metadata this endpoint's transport calls for).
            head = sent
            head.headers.replaceOrAdd("x-envoy-attempt-count", value: String(attempt))
            telemetryHeaders(&head, exchange: exchange, resent: true)
        } else {
            head = forwardedHead(exchange, attempt: attempt, context: context)
        }
        if let upgrade = exchange.upgrade, connection.isStream, let channel = connection.channel {
            // To an HTTP/2 upstream the handshake goes as an extended CONNECT on the request's stream.
            let protocolName = upgrade.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? "websocket"
            try? channel.pipeline.syncOperations.addHandler(UpstreamExtendedConnect(protocolName: protocolName), position: .first)
        }
        accessLogForwarded(head, exchange: exchange, attempt: attempt, first: !resent)
        // Attached inside a downstream read, the flush comes with the request's end or at channelReadComplete.
        UpstreamAttempt.write(head, parts: parts, to: connection, flush: !insideRead)
        // Kept for a retry once written (kept before, it was copied: the exchange's and the one written).
        if !resent {
            exchange.forwardedHead = consume head
            exchange.headForwarded = true
        }
        // The timeout alone is read: the policy passed whole was copied for the call.
        startPerTryTimeout(milliseconds: exchange.request.retry?.perTryTimeoutMs, attempt: attempt)
        setReading(true)
    }

    /// The request's head as it goes upstream, made once from the client's (taken over, when no
    /// mirror needs it again, and edited in place); `write` keeps it for retries.
    private func forwardedHead(_ exchange: Exchange, attempt: Int, context: ChannelHandlerContext) -> ProxyRequestHead {
        let mirrors = !exchange.request.mirrors.isEmpty
        // The context's share of the client's fields is let go first: otherwise the edits copy them.
        if !mirrors { exchange.request.attributes.headers = HeaderFields() }
        // So does the access log's (it takes the forwarded head instead: `accessLogForwarded`).
        if requestTelemetry?.accessLog != nil { requestTelemetry?.accessLog?.requestHead.headers = HeaderFields() }
        let externalAddress = gatewayClientAddress(exchange, context: context)
        var head = ForwardedHeaders.request(mirrors ? exchange.requestHead : exchange.takeRequestHead(),
                                            clientAddress: listener.appendForwardedFor ? peerAddress(context) : nil,
                                            scheme: listener.scheme, edits: exchange.upstream.headers, clientCertificate: clientCertificate,
                                            requestID: exchange.requestID, externalAddress: externalAddress)
        // Every attempt carries the same request id (the client's, or the exchange's `requestID`: see carryOut);
        // retries say which attempt they are (the first attempt to go out is a retry when the first connect failed).
        if attempt > 1 { head.headers.replaceOrAdd("x-envoy-attempt-count", value: String(attempt)) }
        if let upgrade = exchange.upgrade {
            head.headers.replaceOrAdd("upgrade", value: upgrade)
            head.headers.replaceOrAdd("connection", value: "upgrade")
        }
        telemetryHeaders(&head, exchange: exchange)
        if !mirrors { exchange.request.attributes.headers = head.headers }
        return head
    }

    /// At a gateway, the client address it trusts for the exchange's request, read from the client's
    /// own `X-Forwarded-For` (before this hop appends to it); nil elsewhere.
    func gatewayClientAddress(_ exchange: Exchange, context: ChannelHandlerContext) -> String? {
        guard let edge = listener.gatewayEdge else { return nil }
        return edge.clientAddress(peer: peerAddress(context), headers: exchange.requestHead.headers)
    }

    /// The attempt is over on `connection`: released to the pool (`finished`) or torn down.
    func endAttempt(_ exchange: Exchange, on connection: UpstreamHandler, finished: Bool) {
        if exchange.upstream.countsInFlight { listener.balancer.finished(exchange.upstream.host, exchange.upstream.port) }
        if finished { connection.finish() } else { connection.abandon() }
    }

    /// Whether the cluster's maxRetries budget has room for one more retry (taken when it happens).
    func retryBudget(_ exchange: Exchange) -> Bool {
        let upstream = exchange.upstream
        guard upstream.connectionPool.maxRetries != nil else { return true }
        return listener.pool.value.breaker.allows(.retries, cluster: upstream.cluster, policy: upstream.connectionPool)
    }

    /// Sends the request again after Envoy's jittered backoff, to an endpoint picked anew (one not
    /// tried yet when the pick allows).
    private func retry(_ exchange: Exchange, attempt: Int) {
        guard let context else { return }
        cancelPerTryTimeout()
        if case .admitted(let slot) = UpstreamAttempt.admit(.retry, exchange.upstream, pool: listener.pool.value) { exchange.retrySlot = slot }
        listener.stats.increment(cluster: exchange.upstream.cluster, "upstream_rq_retry")
        exchange.triedEndpoints.append(exchange.endpoint)
        let backoff = RoutePolicy.Retry.backoffMs(retry: attempt - 1, roll: FastRandom.unit())
        context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(backoff))) {
            guard self.context != nil, self.exchange === exchange, self.machine.awaitsConnection(attempt: attempt) else { return }
            var request = exchange.request
            switch UpstreamAttempt.pickEndpoint(PickEndpoint(balancer: self.listener.balancer), &request, tried: exchange.triedEndpoints) {
            case .forward(let upstream):
                exchange.upstream.host = upstream.host
                exchange.upstream.port = upstream.port
                exchange.upstream.endpointCount = upstream.endpointCount
                exchange.upstream.transport = upstream.transport
                self.connect(exchange)
            case .respond(let response):
                self.answer(response, version: exchange.version)
            }
        }
    }

    /// The cluster's connections and pending queue are full: Envoy's 503 with flag UO, counted.
    private func pendingOverflow(_ exchange: Exchange) {
        answer(LocalResponse(status: 503, flag: "UO", body: "upstream connect error or disconnect/reset before headers. reset reason: overflow"),
               version: exchange.version, counting: "upstream_rq_pending_overflow")
    }

    private func connectFailed(_ exchange: Exchange) {
        listener.stats.increment("upstream_cx_connect_fail")
        listener.stats.increment(cluster: exchange.upstream.cluster, "upstream_cx_connect_fail")
        recordOutcome(.localFailure, of: exchange)
        perform(machine.attemptFailed(.connectFailure, retryBudget: retryBudget(exchange)),
                answer: LocalResponse(status: 503, flag: "UF", body: "upstream connect error or disconnect/reset before headers. reset reason: connection failure"),
                counting: "upstream_rq_503")
    }

    // MARK: upstream events (same event loop)

    func upstreamReceived(_ part: consuming ProxyResponsePart) {
        guard let context, let exchange else { return }
        switch consume part {
        case .head(let head):
            // A gRPC answer without a status in its head may carry one in trailers right after:
            // held until then when the route retries on gRPC statuses (`GRPCRetryHold`).
            if GRPCRetryHold.holds(head, retry: exchange.request.retry, grpcRequest: answersGRPC) {
                exchange.heldResponseHead = head
                return
            }
            // The head is searched for a gRPC status only when the route retries on one.
            let grpcStatus = exchange.request.retry?.retriesGRPC == true ? GRPCRetryHold.status(in: head.headers) : nil
            forwardResponseHead(consume head, grpcStatus: grpcStatus, exchange: exchange, context: context)
        case .body(let buffer):
            if let held = exchange.heldResponseHead {
                exchange.heldResponseHead = nil
                guard forwardResponseHead(held, grpcStatus: nil, exchange: exchange, context: context) else { return }
            }
            guard machine.forwardsResponseBody() else { return }
            requestTelemetry?.responseBytes += buffer.readableBytes
            // Flushed at the end of the upstream read (upstreamReadComplete) or with the response's end.
            send(.body(.byteBuffer(buffer)), context: context)
            if channel?.isWritable == false {
                flushWritten(context: context)
                if channel?.isWritable == false { machine.attachedUpstream?.setReading(false) }
            }
        case .end(let trailers):
            if let held = exchange.heldResponseHead {
                exchange.heldResponseHead = nil
                guard forwardResponseHead(held, grpcStatus: trailers.flatMap(GRPCRetryHold.status(inTrailers:)), exchange: exchange, context: context) else { return }
            }
            if exchange.switchesProtocols { return switchProtocols(exchange, context: context) }
            guard let (upstream, after) = machine.responseEnd() else { return }
            cancelTimeouts()
            if let status = trailers?.first(name: "grpc-status") { requestTelemetry?.grpcStatus = status }
            let end = trailers ?? grpcStatusOfHead
            grpcStatusOfHead = nil
            if http2 {
                // Finished before the end goes out: writing it closes the stream at once, and a
                // close with the request still counting reads as the client's (DC).
                endAttempt(exchange, on: upstream, finished: true)
                finishResponseTelemetry(upstream)
                send(.end(end), context: context)
                flushWritten(context: context, atTickEnd: true)
            } else {
                // The end goes out first (at once on a loop that is not busy), so the upstream's
                // release and the metrics, span and access log (~1,900 instructions) are off the
                // answer's way. A failed write closes the connection in the flush: the request
                // counts as the client's (DC), and the upstream is released all the same.
                send(.end(end), context: context)
                flushWritten(context: context, atTickEnd: true)
                endAttempt(exchange, on: upstream, finished: true)
                finishResponseTelemetry(upstream)
            }
            carryOut(after, context: context)
        }
    }

    /// The upstream's response head goes downstream, unless the machine retries on it (a retriable
    /// status, or `grpcStatus` from the head or the trailers that followed). Returns whether it went.
    @discardableResult
    private func forwardResponseHead(_ head: consuming ProxyResponseHead, grpcStatus: Int?, exchange: Exchange, context: ChannelHandlerContext) -> Bool {
        let status = Int(head.status.code)
        recordOutcome(.status(status), of: exchange)
        let retriedStatus = status == 200 && exchange.request.retry?.retriesGRPC == true ? grpcStatus : nil
        let keepAlive: Bool, retryLimit: Machine.RetryLimit
        switch machine.responseHead(status: status, grpcStatus: retriedStatus, retryBudget: retryBudget(exchange)) {
        case .forwardResponseHead(let alive, let limit):
            (keepAlive, retryLimit) = (alive, limit)
        case let other:
            perform(other, answer: LocalResponse(status: 503, flag: "UC"))
            return false
        }
        if retryLimit == .overflow { listener.stats.increment(cluster: exchange.upstream.cluster, "upstream_rq_retry_overflow") }
        if retryLimit == .exhausted { listener.stats.increment(cluster: exchange.upstream.cluster, "upstream_rq_retry_limit_exceeded") }
        if let flag = retryLimit.flag { telemetryFlag(flag) }
        cancelPerTryTimeout()
        listener.stats.countStatus(status)
        // What is read of the received head is read before its edits, which take it over (edited in
        // place when nothing else holds it: no copy of its lines and index).
        let upgradeOffered = exchange.upgrade == nil ? nil : head.headers.first("upgrade")
        if answersGRPC, let status = head.headers.first("grpc-status") { requestTelemetry?.grpcStatus = status }
        let peerHeader = telemetryPeerHeader(head)
        var response = ForwardedHeaders.response(consume head, version: exchange.version, edits: exchange.upstream.headers)
        // Its own Connection went with the hop-by-hop headers: added (when it says something), not replaced.
        if let connection = ForwardedHeaders.connection(keepAlive: keepAlive, version: exchange.version) { response.headers.add("connection", value: connection) }
        // An HTTP/1.1 upstream switches with 101; an HTTP/2 one takes the extended CONNECT with a 2xx.
        if let requested = exchange.upgrade, status == 101 || (exchange.upstream.http2 && (200..<300).contains(status)) {
            if http2 {
                // RFC 8441: an extended CONNECT succeeds with 200; the HTTP/1.1 handshake's headers stay behind.
                response.status = .ok
                for name in ["upgrade", "connection", "sec-websocket-accept"] { response.headers.remove(name: name) }
            } else {
                response.status = .switchingProtocols
                response.headers.replaceOrAdd("upgrade", value: upgradeOffered ?? requested)
                response.headers.replaceOrAdd("connection", value: "upgrade")
                if !response.headers.contains("sec-websocket-accept"), let key = exchange.forwardedHead?.headers.first("sec-websocket-key") ?? exchange.requestHead.headers.first("sec-websocket-key") {
                    response.headers.add("sec-websocket-accept", value: UpstreamExtendedConnect.acceptValue(forKey: key))
                }
            }
            // The tunnel's bytes are no body: a length (the stream's codec says 0 for an answer ended in its head) would bound them.
            response.headers.remove("content-length")
            exchange.switchesProtocols = true
        }
        if http2 { grpcStatusOfHead = GRPCTrailersOnly.take(from: &response.headers) }
        for header in exchange.upstream.responseHeaders { response.headers.add(name: header.name, value: header.value) }
        if let server = listener.serverHeader { response.headers.replaceOrAdd("server", value: server) }
        telemetryResponseHead(&response, peerHeader: peerHeader)
        sendHead(response, context: context)
        // Written out as bytes: its storage goes back to the connection it came from, for the next head.
        machine.attachedUpstream?.spareHeaderStorage = response.headers.takeSpareStorage()
        return true
    }

    func upstreamReadComplete() {
        if let context { flushWritten(context: context, atTickEnd: true) }
    }

    func upstreamClosed(refused: Bool) {
        guard let exchange else { return }
        if refused { listener.stats.increment(cluster: exchange.upstream.cluster, "upstream_rq_refused_stream") }
        let action = machine.upstreamClosed(refused: refused, retryBudget: retryBudget(exchange))
        switch action {
        case .retry, .answer:
            listener.stats.increment("upstream_cx_destroy_remote_with_active_rq")
            listener.stats.increment(cluster: exchange.upstream.cluster, "upstream_cx_destroy_remote_with_active_rq")
            recordOutcome(.localFailure, of: exchange)
        case .none, .writeRequest, .forwardResponseHead, .closeConnection, .discardConnection:
            break
        }
        perform(action, answer: LocalResponse(status: 503, flag: "UC", body: "upstream connect error or disconnect/reset before headers. reset reason: connection termination"),
                counting: "upstream_rq_503")
    }

    /// Envoy answers an upstream that does not speak HTTP with 502 and flag UPE (before any header went out).
    func upstreamProtocolError() {
        guard let exchange, machine.attachedUpstream != nil else { return }
        listener.stats.increment(cluster: exchange.upstream.cluster, "upstream_cx_protocol_error")
        recordOutcome(.status(502), of: exchange)
        perform(machine.upstreamProtocolError(),
                answer: LocalResponse(status: 502, flag: "UPE", body: "upstream connect error or disconnect/reset before headers. reset reason: protocol error"),
                counting: "upstream_rq_502")
    }

    func upstreamWritabilityChanged(_ writable: Bool) {
        setReading(writable)
    }

    /// Counts an attempt's outcome against its endpoint when the cluster has outlier detection.
    func recordOutcome(_ outcome: EndpointOutcome, of exchange: Exchange) {
        guard let policy = exchange.upstream.outlierDetection else { return }
        if listener.balancer.record(outcome, cluster: exchange.upstream.cluster, endpoint: exchange.endpoint, policy: policy, endpointCount: exchange.upstream.endpointCount) {
            listener.stats.increment(cluster: exchange.upstream.cluster, "outlier_detection.ejections_enforced_total")
        }
    }
}
