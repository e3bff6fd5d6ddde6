import NIOCore
import WeftTelemetry

/// What one request's metrics need, gathered while it runs: when it began, the bytes each way,
/// the status and flags of its answer, and what the peer's sidecar said about its workload.
struct RequestTelemetry {
    var started: NIODeadline
    var requestBytes = 0
    var responseBytes = 0
    var status = 0
    var flags = "-"
    /// The other side's workload (`x-weft-peer-metadata`), unknown until it says.
    var peer = WorkloadMetadata.unknown
    var peerPrincipal = WorkloadMetadata.unknownValue
    /// The service's host, `unknown` when no route chose one.
    var service = WorkloadMetadata.unknownValue
    var mutualTLS = false
    /// The caller sent its metadata (inbound): it is a sidecar, and gets this workload's back.
    var peerIsSidecar = false

    init(started: NIODeadline) {
        self.started = started
    }

    /// The series this request counts in, as `reporter` sees it.
    func series(_ reporter: RequestSeries.Reporter, own: ProxyTelemetry) -> RequestSeries {
        let (name, namespace) = RequestSeries.serviceNameAndNamespace(service)
        switch reporter {
        case .source:
            return RequestSeries(reporter: .source, source: own.workload, sourcePrincipal: own.principal, destination: peer, destinationPrincipal: peerPrincipal,
                                 destinationService: service, destinationServiceName: name, destinationServiceNamespace: namespace,
                                 responseCode: status, responseFlags: flags, connectionSecurityPolicy: WorkloadMetadata.unknownValue)
        case .destination:
            return RequestSeries(reporter: .destination, source: peer, sourcePrincipal: peerPrincipal, destination: own.workload, destinationPrincipal: own.principal,
                                 destinationService: service, destinationServiceName: name, destinationServiceNamespace: namespace,
                                 responseCode: status, responseFlags: flags, connectionSecurityPolicy: mutualTLS ? "mutual_tls" : "none")
        }
    }

    /// The host of an inbound request's service from its authority, completed as cluster DNS
    /// would from the pod's namespace: `reviews:9080` → `reviews.NS.svc.cluster.local`.
    static func inboundService(authority host: String, namespace: String) -> String {
        guard !host.isEmpty, host.first?.isNumber != true, !host.contains(":") else { return WorkloadMetadata.unknownValue }
        let labels = host.split(separator: ".")
        switch labels.count {
        case 1: return "\(host).\(namespace).svc.cluster.local"
        case 2: return "\(host).svc.cluster.local"
        case 3 where labels[2] == "svc": return "\(host).cluster.local"
        default: return host
        }
    }

    /// `outbound|9080|v1|reviews.default.svc.cluster.local` → `reviews.default.svc.cluster.local`.
    static func service(ofCluster cluster: String) -> String {
        guard let bar = cluster.lastIndex(of: "|") else { return WorkloadMetadata.unknownValue }
        let host = cluster[cluster.index(after: bar)...]
        return host.isEmpty ? WorkloadMetadata.unknownValue : String(host)
    }
}
