import NIOCore
import WeftTelemetry

/// One proxy's Istio metrics: its own workload (the `source_*` labels outbound, `destination_*`
/// inbound), the header it sends peers, and the metrics, owned by the proxy's event loop so a
/// request records without a lock. The exposition asks the loop for a copy.
public final class ProxyTelemetry: Sendable {
    public let workload: WorkloadMetadata
    /// `spiffe://cluster.local/ns/NS/sa/SA`.
    public let principal: String
    /// What peers read about this workload (`PeerMetadataHeader`), encoded once.
    let encodedMetadata: String
    let metrics: NIOLoopBoundBox<RequestMetrics>

    public init(workload: WorkloadMetadata, principal: String, eventLoop: any EventLoop) {
        self.workload = workload
        self.principal = principal
        encodedMetadata = PeerMetadataHeader.encode(workload)
        metrics = NIOLoopBoundBox.makeBoxSendingValue(RequestMetrics(), as: RequestMetrics.self, eventLoop: eventLoop)
    }

    /// The metrics so far, copied on their loop.
    public func snapshot() async -> RequestMetrics {
        let metrics = self.metrics
        return (try? await metrics.eventLoop.submit { metrics.value }.get()) ?? RequestMetrics()
    }

    /// Istio's standard metrics in Prometheus's text format.
    public func prometheusText(hiding: Set<String> = [], overrides: [RequestSeries.Reporter: TagOverrides] = [:]) async -> String {
        PrometheusExposition.render(await snapshot(), hiding: hiding, overrides: overrides)
    }
}
