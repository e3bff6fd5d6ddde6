import NIOCore
import NIOHTTP1
import WeftTelemetry

/// Istio's standard metrics for each request: measured from its head to its answer's end, with
/// the peer's workload learnt from the metadata its sidecar sends (`PeerMetadataHeader`), and
/// recorded into the loop-owned store of the proxy (`ProxyTelemetry`). Outbound and gateways
/// report as `source`, inbound as `destination`, as Istio's proxies do.
extension ProxyServerHandler {
    var reporter: RequestSeries.Reporter { listener.inboundPort != nil ? .destination : .source }

    /// A request head arrived: its measurement starts.
    func beginTelemetry(_ head: HTTPRequestHead, host: String) {
        guard listener.telemetry != nil else { return }
        var telemetry = RequestTelemetry(started: .now())
        if reporter == .destination {
            telemetry.serviceSource = host
            telemetry.mutualTLS = peer != nil
            telemetry.peerPrincipal = peerSPIFFE
            telemetry.peerHeader = head.headers.first(name: PeerMetadataHeader.name)
        }
        requestTelemetry = telemetry
    }

    /// The steps chose a route (outbound): its cluster names the service, also when a step
    /// then answers itself (a fault's abort, a denial), as Envoy labels those.
    func telemetryRouted(_ request: RequestContext) {
        guard reporter == .source, requestTelemetry != nil else { return }
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
    func telemetryHeaders(_ head: inout HTTPRequestHead, upstream: RequestDecision.Upstream) {
        head.headers.remove(name: PeerMetadataHeader.name)
        guard let own = listener.telemetry, reporter == .source else { return }
        let inMesh: Bool
        if case .istioMutual = upstream.transport { inMesh = true } else { inMesh = upstream.cluster.hasSuffix(".svc.cluster.local") }
        if inMesh { head.headers.add(name: PeerMetadataHeader.name, value: own.encodedMetadata) }
    }

    /// The upstream's answer began: its status; outbound, what the server's sidecar said about
    /// itself (then removed); inbound, this workload's metadata for a caller's sidecar.
    func telemetryResponseHead(_ head: inout HTTPResponseHead) {
        guard let own = listener.telemetry, requestTelemetry != nil else {
            head.headers.remove(name: PeerMetadataHeader.name)
            return
        }
        requestTelemetry?.status = Int(head.status.code)
        switch reporter {
        case .source:
            if let proven = machine.attachedUpstream?.peerIdentity { requestTelemetry?.peerPrincipal = proven }
            requestTelemetry?.peerHeader = head.headers.first(name: PeerMetadataHeader.name)
            head.headers.remove(name: PeerMetadataHeader.name)
        case .destination:
            head.headers.remove(name: PeerMetadataHeader.name)
            if requestTelemetry?.peerHeader != nil { head.headers.add(name: PeerMetadataHeader.name, value: own.encodedMetadata) }
        }
    }

    /// The request is over (answered, or the client left): counted, and the measurement cleared.
    func finishTelemetry(status: Int? = nil, flags: String? = nil) {
        guard let own = listener.telemetry, var telemetry = requestTelemetry else { return }
        requestTelemetry = nil
        if let status { telemetry.status = status }
        if let flags, !flags.isEmpty { telemetry.flags = telemetry.flags == "-" || telemetry.flags == flags ? flags : "\(telemetry.flags),\(flags)" }
        let elapsed = Double(NIODeadline.now().uptimeNanoseconds &- telemetry.started.uptimeNanoseconds) / 1_000_000
        // The labels are made (and the header decoded) only when this connection's facts change.
        let facts = telemetry.facts
        let series: RequestMetrics.SeriesID
        if let cached = seriesCache, cached.facts == facts {
            series = cached.id
        } else {
            series = own.metrics.value.intern(RequestTelemetry.series(facts, reporter, own: own))
            seriesCache = (facts, series)
        }
        own.metrics.value.record(series, responseCode: telemetry.status, responseFlags: telemetry.flags,
                                 durationMilliseconds: elapsed, requestBytes: telemetry.requestBytes, responseBytes: telemetry.responseBytes)
    }
}
