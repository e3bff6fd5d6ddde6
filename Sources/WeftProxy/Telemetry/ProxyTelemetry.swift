import NIOCore
import WeftTelemetry

/// One proxy's Istio metrics: its own workload (the `source_*` labels outbound, `destination_*`
/// inbound), the header it sends peers, and the metrics, a table per event loop so a request
/// records without a lock. The exposition asks each loop for a copy and adds them up.
public final class ProxyTelemetry: Sendable {
    public let workload: WorkloadMetadata
    /// `spiffe://cluster.local/ns/NS/sa/SA`.
    public let principal: String
    /// What peers read about this workload (`PeerMetadataHeader`), encoded once.
    let encodedMetadata: String
    private let tables: LoopLocal<NIOLoopBoundBox<RequestMetrics>>
    private let seriesMemos: LoopLocal<NIOLoopBoundBox<SeriesMemo>>

    /// `group`: the proxy's event loops, each of which records into a table of its own.
    public init(workload: WorkloadMetadata, principal: String, group: any EventLoopGroup) {
        self.workload = workload
        self.principal = principal
        encodedMetadata = PeerMetadataHeader.encode(workload)
        tables = LoopLocal(group) { NIOLoopBoundBox.makeBoxSendingValue(RequestMetrics(), as: RequestMetrics.self, eventLoop: $0) }
        seriesMemos = LoopLocal(group) { NIOLoopBoundBox.makeBoxSendingValue(SeriesMemo(), as: SeriesMemo.self, eventLoop: $0) }
    }

    /// The series of `facts` as `reporter` records them in `table` (a loop's, used on that loop),
    /// made once per loop for the same facts (`SeriesMemo`).
    func series(_ facts: RequestTelemetry.SeriesFacts, _ reporter: RequestSeries.Reporter, in table: NIOLoopBoundBox<RequestMetrics>) -> RequestMetrics.SeriesID {
        seriesMemos[table.eventLoop].value.series(SeriesMemo.Key(facts: facts, reporter: reporter)) {
            table.value.intern(RequestTelemetry.series(facts, reporter, own: self))
        }
    }

    /// The table requests on `loop` record into (used only on that loop).
    func metrics(on loop: any EventLoop) -> NIOLoopBoundBox<RequestMetrics> { tables[loop] }

    /// The metrics so far: each loop's table copied on its loop, added up.
    public func snapshot() async -> RequestMetrics {
        var total = RequestMetrics()
        for table in tables.all {
            if let copy = try? await table.eventLoop.submit({ table.value }).get() { total.merge(copy) }
        }
        return total
    }

    /// Istio's standard metrics in Prometheus's text format.
    public func prometheusText(hiding: Set<String> = [], overrides: [RequestSeries.Reporter: TagOverrides] = [:]) async -> String {
        PrometheusExposition.render(await snapshot(), hiding: hiding, overrides: overrides)
    }
}
