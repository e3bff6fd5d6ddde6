import WeftTelemetry

/// What one proxy's spans say about the proxy itself (Istio's `localEndpoint`: the canonical
/// service and namespace, the pod IP; the `istio.*` tags), and the queue its finished spans go to.
public final class ProxyTracer: Sendable {
    public let workload: WorkloadMetadata
    /// `<canonical service>.<namespace>`, as Istio names a proxy's spans.
    let serviceName: String
    let podIP: String
    /// `sidecar~IP~ID` or `router~IP~ID`, Envoy's `node_id` tag.
    let nodeID: String
    public let queue: SpanQueue

    public init(workload: WorkloadMetadata, podIP: String, nodeID: String, queue: SpanQueue) {
        self.workload = workload
        self.podIP = podIP
        self.nodeID = nodeID
        self.queue = queue
        serviceName = "\(workload.canonicalService).\(workload.namespace)"
    }
}
