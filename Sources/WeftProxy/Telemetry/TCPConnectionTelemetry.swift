import NIOCore
import WeftTelemetry

/// Istio's TCP metrics of one proxied connection, counted on the client's side of the proxy:
/// opened when it starts, bytes as they pass (received from the client, sent to it), closed when
/// it ends. Recorded straight into the proxy's metrics, which live on the connection's loop.
final class TCPConnectionTelemetry: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let metrics: NIOLoopBoundBox<RequestMetrics>
    private let series: RequestMetrics.SeriesID
    private var flags = "-"
    private var open = true

    /// `series`: the connection's labels (request protocol `tcp`), interned here.
    /// `eventLoop`: the connection's, whose table of the proxy's metrics it records into.
    init(telemetry: ProxyTelemetry, series: RequestSeries, eventLoop: any EventLoop) {
        metrics = telemetry.metrics(on: eventLoop)
        var tcp = series
        tcp.requestProtocol = "tcp"
        self.series = metrics.value.intern(tcp)
        metrics.value.recordTCP(self.series, opened: 1)
    }

    /// The series an inbound connection counts under (reporter destination).
    static func inboundSeries(own: ProxyTelemetry, service: String, peerPrincipal: String?, mutualTLS: Bool) -> RequestSeries {
        let facts = RequestTelemetry.SeriesFacts(peerHeader: nil, peerPrincipal: peerPrincipal ?? WorkloadMetadata.unknownValue, serviceSource: service, mutualTLS: mutualTLS, grpc: false)
        return RequestTelemetry.series(facts, .destination, own: own)
    }

    /// The series an outbound connection counts under (reporter source): the destination
    /// workload as the endpoint's registration describes it, its identity when mutual TLS names one.
    static func outboundSeries(own: ProxyTelemetry, upstream: RequestDecision.Upstream, configuration: ActiveConfiguration) -> RequestSeries {
        var principal = WorkloadMetadata.unknownValue
        if case .istioMutual(_, let identities) = upstream.transport, let first = identities.first { principal = first }
        let facts = RequestTelemetry.SeriesFacts(peerHeader: nil, peerPrincipal: principal, serviceSource: upstream.cluster, mutualTLS: false, grpc: false)
        var series = RequestTelemetry.series(facts, .source, own: own)
        if let endpoint = configuration.endpoints[upstream.cluster]?.first(where: { $0.address == upstream.host && $0.port == upstream.port }), !endpoint.workload.isEmpty {
            series.destination = WorkloadMetadata(workload: endpoint.workload, namespace: series.destinationServiceNamespace, labels: endpoint.labels)
        }
        return series
    }

    /// The series of a connection that found no upstream (its cluster when it had one).
    static func unroutedSeries(own: ProxyTelemetry, cluster: String?) -> RequestSeries {
        let facts = RequestTelemetry.SeriesFacts(peerHeader: nil, peerPrincipal: WorkloadMetadata.unknownValue, serviceSource: cluster ?? "", mutualTLS: false, grpc: false)
        return RequestTelemetry.series(facts, .source, own: own)
    }

    /// The connection to the upstream failed: the close is counted with Envoy's flag.
    func upstreamFailed(flag: String) {
        flags = flag
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        metrics.value.recordTCP(series, receivedBytes: unwrapInboundIn(data).readableBytes)
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        metrics.value.recordTCP(series, sentBytes: unwrapOutboundIn(data).readableBytes)
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        closeOnce()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        closeOnce()
    }

    private func closeOnce() {
        guard open else { return }
        open = false
        // As Istio's stats filter reports: the open without flags, the close with them.
        metrics.value.recordTCP(series, responseFlags: flags, closed: 1)
    }
}
