import NIOCore
import NIOHTTP1
import WeftModel
import WeftTelemetry

/// What the proxy writes downstream itself: every response part (through `send`, which keeps the
/// headers timeout informed), local answers, and Envoy's 400/431 for requests the codec rejects.
extension ProxyServerHandler {
    /// Every response part goes out here, so the headers timeout knows a response is under way.
    func send(_ part: DownstreamResponsePart, flush: Bool = false, context: ChannelHandlerContext) {
        switch part {
        case .head: headersTimeout?.responding = true
        case .end: headersTimeout?.responding = false
        case .body: break
        }
        write(part, flush: flush, context: context)
    }

    /// A response's head: HTTP/1.1's encoder reads it where it is (as a part it was copied into the
    /// enum), an HTTP/2 stream's codec gets it as a part.
    func sendHead(_ head: ProxyResponseHead, context: ChannelHandlerContext) {
        headersTimeout?.responding = true
        if http2 {
            context.write(wrapOutboundOut(.head(head)), promise: nil)
        } else {
            responseEncoder.encodeHead(head, allocator: allocator, into: &outbound)
        }
        unflushed = true
    }

    /// HTTP/1.1: the part's bytes, written to the connection; an HTTP/2 stream: the part, to its codec.
    func write(_ part: DownstreamResponsePart, flush: Bool, context: ChannelHandlerContext) {
        if http2 {
            context.write(wrapOutboundOut(part), promise: nil)
        } else {
            responseEncoder.encode(part, allocator: allocator, into: &outbound) { context.write(NIOAny($0), promise: nil) }
        }
        unflushed = true
        if flush { flushWritten(context: context) }
    }

    /// Flushes what was written since the last flush, now or `atTickEnd` (`TickFlushes`: what the
    /// forwarding of a response asks for; a local answer goes now, as a close often follows it). The
    /// end of each upstream read asks for one, mostly after the response's end has asked for its own.
    func flushWritten(context: ChannelHandlerContext, atTickEnd: Bool = false) {
        guard unflushed else { return }
        unflushed = false
        if atTickEnd {
            context.flushAtTickEnd(gathered: &outbound, flushes: flushes)
        } else {
            context.flushNow(gathered: &outbound)
        }
    }

    /// Hands what the encoder gathered to the channel (unflushed).
    func writeGathered(context: ChannelHandlerContext) {
        outbound.drain { context.write(NIOAny($0), promise: nil) }
    }

    /// Ends the response, then closes the connection once what was written has gone out.
    func endThenClose(context: ChannelHandlerContext) {
        let written: EventLoopFuture<Void>
        if http2 {
            written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        } else {
            write(.end(nil), flush: false, context: context)
            writeGathered(context: context)
            // An empty write whose promise completes in order, after the bytes before it.
            written = context.writeAndFlush(NIOAny(IOData.byteBuffer(ByteBuffer())))
        }
        written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    /// `Expect: 100-continue` is answered here and not passed on, as Envoy does by default
    /// (`proxy_100_continue` off): the client sends its body at once, the upstream never waits on it.
    func continueIfExpected(_ head: inout ProxyRequestHead, context: ChannelHandlerContext) {
        guard head.version == .http1_1 else { return }
        head.headers.remove("expect")
        write(.head(ProxyResponseHead(version: .http1_1, status: .continue)), flush: true, context: context)
    }

    /// Writes `response`; the machine has already said what the exchange becomes after it. A gRPC
    /// caller gets it as a gRPC status (`GRPCLocalReply`): HTTP 200, in trailers over HTTP/2.
    func respondLocally(_ response: LocalResponse, keepAlive: Bool, version: HTTPVersion, context: ChannelHandlerContext) {
        cancelTimeouts()
        let grpc = answersGRPC ? GRPCLocalReply(response) : nil
        let status = grpc == nil ? response.status : 200
        let body = grpc == nil ? response.body : ""
        listener.stats.countStatus(status)
        var flag = response.flag
        if flag == LocalResponse.directResponse {
            flag = ""
            requestTelemetry?.accessLog?.details = "direct_response"
        }
        for single in flag.split(separator: ",") { listener.stats.increment("local_reply_\(single)") }
        var headers = HeaderFields()
        headers.add("content-length", value: String(body.utf8.count))
        if let grpc {
            headers.add("content-type", value: "application/grpc")
            if !http2 { for (name, value) in grpc.fields { headers.add(name: name, value: value) } }
            requestTelemetry?.grpcStatus = String(grpc.status)
        } else if !body.isEmpty {
            headers.add("content-type", value: "text/plain")
        }
        for (name, value) in response.headers { headers.add(name: name, value: value) }
        if let server = listener.serverHeader { headers.add("server", value: server) }
        if reporter == .destination, requestTelemetry?.peerHeader != nil, let own = listener.telemetry {
            headers.add(.peerMetadata, value: own.encodedMetadata)
        }
        if let connection = ForwardedHeaders.connection(keepAlive: keepAlive, version: version) { headers.add("connection", value: connection) }
        send(.head(ProxyResponseHead(version: version, status: HTTPResponseStatus(statusCode: status), headers: headers)), context: context)
        if !body.isEmpty { send(.body(.byteBuffer(ByteBuffer(string: body))), context: context) }
        requestTelemetry?.responseBytes = body.utf8.count
        finishTelemetry(status: status, flags: flag)
        send(.end(http2 ? grpc?.fields : nil), flush: true, context: context)
    }

    /// A request the codec cannot parse gets Envoy's answer instead of a dropped connection: 431 when
    /// the headers are too large, 400 for anything else malformed; counted, then the connection closes.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        listener.stats.increment("downstream_cx_protocol_error")
        if let upstream = machine.attachedUpstream, let exchange { endAttempt(exchange, on: upstream, finished: false) }
        let mayAnswer = machine.malformedRequest()
        cancelTimeouts()
        guard let parserError = error as? HTTPParserError, headersTimeout?.responding != true, mayAnswer else {
            // An earlier pipelined answer may still wait on the tick's flush.
            context.closeFlushed()
            return
        }
        let tooLarge = parserError == .headerOverflow
        listener.stats.increment(tooLarge ? "downstream_rq_header_overflow" : "downstream_rq_malformed")
        // Logged as Envoy logs a request its codec refused: no request line, flag DPE, the codec's details.
        if requestTelemetry == nil, let logs = accessLogs(listener.configuration.active) {
            let telemetry = RequestTelemetry(started: .now(), recordsMetrics: false)
            var log = RequestAccessLog(logs: logs, head: ProxyRequestHead(version: .http1_1, method: .GET, uri: ""), originalPath: "", authority: "")
            log.codecError = true
            log.details = tooLarge ? "http1.headers_too_large" : "http1.codec_error"
            telemetry.accessLog = log
            requestTelemetry = telemetry
        }
        listener.stats.increment("downstream_rq_4xx")
        let body = tooLarge ? "Request Header Fields Too Large" : "Bad Request"
        var headers = HeaderFields()
        headers.add("content-length", value: String(body.utf8.count))
        headers.add("content-type", value: "text/plain")
        headers.add("connection", value: "close")
        send(.head(ProxyResponseHead(version: .http1_1, status: tooLarge ? .requestHeaderFieldsTooLarge : .badRequest, headers: headers)), context: context)
        send(.body(.byteBuffer(ByteBuffer(string: body))), context: context)
        requestTelemetry?.responseBytes = body.utf8.count
        finishTelemetry(status: tooLarge ? 431 : 400, flags: "DPE")
        headersTimeout?.responding = false
        endThenClose(context: context)
    }
}
