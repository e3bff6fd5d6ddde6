import NIOCore
import NIOHTTP1
import WeftModel
import WeftTelemetry

/// Istio's standard metrics for each request: measured from its head to its answer's end, with
/// the peer's workload learnt from the metadata its sidecar sends (`PeerMetadataHeader`), and
/// recorded into the loop-owned store of the proxy (`ProxyTelemetry`). Outbound and gateways
/// report as `source`, inbound as `destination`, as Istio's proxies do.
extension ProxyServerHandler {
    var reporter: RequestSeries.Reporter { listener.inboundPort != nil ? .destination : .source }

    /// A request head arrived: its measurement starts (for the metrics, the access logs, or both).
    func beginTelemetry(_ head: ProxyRequestHead, attributes: RequestAttributes, originForm: String, configuration: ActiveConfiguration) {
        let settings: ListenerTelemetrySettings
        if let cached = telemetrySettings, cached.configuration === configuration {
            settings = cached
        } else {
            settings = ListenerTelemetrySettings(configuration: configuration, logs: accessLogs(configuration),
                                                 tracing: listener.tracer == nil ? nil : configuration.tracing(listener: listener.name).map(SharedTracingConfig.init),
                                                 metrics: listener.telemetry != nil && configuration.recordsMetrics(listener: listener.name))
            telemetrySettings = settings
        }
        let metrics = settings.metrics
        guard metrics || settings.logs != nil || settings.tracing != nil else { return }
        // The span goes in with the object: set afterwards through the optional, it was copied and the nil destroyed.
        // (Not made in a closure: one that captures the head copied it.)
        var span: RequestSpan?
        if let tracing = settings.tracing { span = beginSpan(head, attributes: attributes, originForm: originForm, config: tracing) }
        if var reused = spareTelemetry.take(), isKnownUniquelyReferenced(&reused) {
            reused.restart(started: .now(), recordsMetrics: metrics, grpc: answersGRPC, span: consume span)
            requestTelemetry = reused
        } else {
            requestTelemetry = RequestTelemetry(started: .now(), recordsMetrics: metrics, grpc: answersGRPC, span: consume span)
        }
        if metrics, !configuration.tagOverrides.isEmpty, let overrides = configuration.tagOverrides[reporter], !overrides.perRequest.isEmpty {
            // Envoy's request.host is the authority as sent (`reviews:9080`).
            let request = TagExpression.Request(host: head.headers.first("host") ?? attributes.authority, method: attributes.method, path: originForm, scheme: attributes.scheme,
                                                protocolName: http2 ? "HTTP/2" : "HTTP/\(head.version.major).\(head.version.minor)",
                                                header: { head.headers.first(name: $0) })
            requestTelemetry?.custom = overrides.perRequest.map { $0 == .responseCode ? "" : $0.value(request, status: 0) }
        }
        if reporter == .destination {
            requestTelemetry?.serviceSource = attributes.host
            requestTelemetry?.mutualTLS = peer != nil
            requestTelemetry?.peerPrincipal = peerSPIFFE
            requestTelemetry?.peerHeader = head.headers.first(.peerMetadata, reusing: seriesCache?.facts.peerHeader)
        }
        if let logs = settings.logs {
            requestTelemetry?.accessLog = RequestAccessLog(logs: logs, head: head, originalPath: originForm, authority: attributes.authority)
            if let edge = listener.gatewayEdge, edge.trustedProxies > 0 {
                requestTelemetry?.accessLog?.trustedClient = ForwardedFor.trustedClient(in: head.headers, trustedProxies: edge.trustedProxies)
            }
        }
    }

    /// The steps chose a route (outbound): its cluster names the service, also when a step
    /// then answers itself (a fault's abort, a denial), as Envoy labels those.
    func telemetryRouted(_ request: RequestContext) {
        guard requestTelemetry != nil else { return }
        if requestTelemetry?.accessLog != nil {
            requestTelemetry?.accessLog?.routeName = request.route?.name ?? (reporter == .destination ? "default" : nil)
            if let cluster = request.cluster { requestTelemetry?.accessLog?.upstreamCluster = cluster }
        }
        guard reporter == .source else { return }
        // A delayed request is flagged DI whatever answers it, as Envoy flags it.
        if request.faultDelayMs != nil { requestTelemetry?.flags = "DI" }
        if let cluster = request.cluster { requestTelemetry?.serviceSource = cluster }
    }

    /// The route chose `upstream` (outbound): its cluster names the service.
    func telemetryForward(_ upstream: RequestDecision.Upstream) {
        guard reporter == .source, requestTelemetry != nil else { return }
        requestTelemetry?.serviceSource = upstream.cluster
    }

    /// The peer metadata header on a request going upstream: outbound to a mesh service it says who
    /// this workload is; anything else, it is removed (the app's own, or an inbound peer's).
    /// `resent`: the head went out before (a retry): its trace context is there, the span only learns the new endpoint.
    func telemetryHeaders(_ head: inout ProxyRequestHead, exchange: Exchange, resent: Bool = false) {
        head.headers.remove(.peerMetadata)
        if requestTelemetry?.span != nil {
            if resent { spanUpstream(exchange) } else { traceHeaders(&head, exchange: exchange) }
        }
        guard let own = listener.telemetry, reporter == .source else { return }
        let inMesh: Bool
        if case .istioMutual = exchange.upstream.transport { inMesh = true } else { inMesh = !exchange.upstream.meshExternal }
        if inMesh { head.headers.add(.peerMetadata, value: own.encodedMetadata) }
    }

    /// The upstream's answer began: its status; outbound, what the server's sidecar said about
    /// itself (then removed); inbound, this workload's metadata for a caller's sidecar.
    /// `peerHeader`: the upstream's peer metadata (`telemetryPeerHeader`), which is not in `head`
    /// (`ForwardedHeaders.responseDroppedNames`).
    func telemetryResponseHead(_ head: inout ProxyResponseHead, peerHeader: String?) {
        defer { accessLogResponseHead(head) }
        requestTelemetry?.status = Int(head.status.code)
        guard let own = listener.telemetry, requestTelemetry != nil else { return }
        switch reporter {
        case .source:
            if let proven = machine.attachedUpstream?.peerIdentity { requestTelemetry?.peerPrincipal = proven }
            requestTelemetry?.peerHeader = peerHeader
        case .destination:
            if requestTelemetry?.peerHeader != nil { head.headers.add(.peerMetadata, value: own.encodedMetadata) }
        }
    }

    /// Outbound, the server's sidecar's metadata as the received head carries it (read before the
    /// head's edits drop it); nil when nothing records it.
    func telemetryPeerHeader(_ received: borrowing ProxyResponseHead) -> String? {
        guard reporter == .source, listener.telemetry != nil, requestTelemetry != nil else { return nil }
        return received.headers.first(.peerMetadata, reusing: seriesCache?.facts.peerHeader)
    }

    /// A response flag for the request in flight (kept with the ones it has: `DI,UT`).
    func telemetryFlag(_ flag: String) {
        requestTelemetry?.add(flags: flag)
    }

    /// The response's end from `upstream`: the request's telemetry finished, and the field storage
    /// its access log held (the response's) handed back as the upstream's next head's.
    func finishResponseTelemetry(_ upstream: UpstreamHandler) {
        finishTelemetry()
        if let spare = spareResponseStorage.take() { upstream.spareHeaderStorage = spare }
    }

    /// The request is over (answered, or the client left): counted, and the measurement cleared.
    func finishTelemetry(status: Int? = nil, flags: String? = nil) {
        guard let telemetry = requestTelemetry.take() else { return }
        // Kept for the connection's next request (`beginTelemetry` takes it when nothing else holds it).
        defer { spareTelemetry = telemetry }
        if let status { telemetry.status = status }
        if let flags { telemetry.add(flags: flags) }
        let nanoseconds = NIODeadline.now().uptimeNanoseconds &- telemetry.started.uptimeNanoseconds
        // Taken out, not read: the object waits for the next request, and a log still in it held the
        // heads' field storage, which the connection's next heads would be read into.
        // Tested in place first: taking an absent log still moved the whole optional out and back.
        if telemetry.accessLog != nil, var log = telemetry.accessLog.take() {
            writeAccessLog(log, telemetry, elapsedNanoseconds: nanoseconds)
            spareResponseStorage = log.responseHead?.headers.takeSpareStorage()
        }
        if telemetry.span?.sampled == true, let span = telemetry.span { finishSpan(span, telemetry, elapsedNanoseconds: nanoseconds) }
        guard let own = listener.telemetry, let table = metricsTable, telemetry.recordsMetrics else { return }
        let elapsed = Double(nanoseconds) / 1_000_000
        if !telemetry.custom.isEmpty, let overrides = listener.configuration.active.tagOverrides[reporter] {
            for (index, expression) in overrides.perRequest.enumerated() where expression == .responseCode && index < telemetry.custom.count {
                telemetry.custom[index] = String(telemetry.status)
            }
        }
        // The labels are made (and the header decoded) only when this connection's facts change.
        let series: RequestMetrics.SeriesID
        if let cached = seriesCache, telemetry.hasFacts(cached.facts) {
            series = cached.id
        } else {
            let facts = telemetry.facts
            series = own.series(facts, reporter, in: table)
            seriesCache = (facts, series)
        }
        table.value.record(series, responseCode: telemetry.status, responseFlags: telemetry.flags, grpcResponseStatus: telemetry.grpcStatus,
                                 durationMilliseconds: elapsed, requestBytes: telemetry.requestBytes, responseBytes: telemetry.responseBytes)
    }
}

/// What a listener records of each request under one configuration: its access logs, how it
/// traces, whether it counts Istio's metrics. Looked up by the listener's name once per
/// configuration on a connection, not for every request. A class: taken from the cache for each
/// request, a struct was a retain and a release of each of its fields.
final class ListenerTelemetrySettings {
    let configuration: ActiveConfiguration
    let logs: [PreparedAccessLog]?
    let tracing: SharedTracingConfig?
    let metrics: Bool

    init(configuration: ActiveConfiguration, logs: [PreparedAccessLog]?, tracing: SharedTracingConfig?, metrics: Bool) {
        self.configuration = configuration
        self.logs = logs
        self.tracing = tracing
        self.metrics = metrics
    }
}

extension HeaderName {
    /// The header of Weft's metadata exchange (`PeerMetadataHeader`).
    static let peerMetadata = HeaderName(PeerMetadataHeader.wireName)
}
