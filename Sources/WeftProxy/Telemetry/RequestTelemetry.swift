import NIOCore
import NIOHTTP1
import WeftTelemetry

/// What one request's metrics need, gathered while it runs: when it began, the bytes each way,
/// the status and flags of its answer, and the raw facts its series is made of (the peer's
/// metadata header as sent, the service's host), turned into labels only when they change.
/// A class: the handler fills it in place through the request and hands it on at the end, where
/// a struct of this size (with its span) was moved by copying its bytes half a dozen times.
final class RequestTelemetry {
    // What a request starts with is given here, once for `init` and `restart` alike.
    var started: NIODeadline
    var requestBytes = 0
    var responseBytes = 0
    var status = 0
    var flags = "-"
    /// A gRPC call (Istio's `request_protocol="grpc"`).
    var grpc: Bool
    /// The call's `grpc-status` (from the answer's head or trailers, or a local answer); empty for other requests.
    var grpcStatus = ""
    /// The peer sidecar's `x-weft-peer-metadata`, as sent; nil when none came.
    var peerHeader: Optional<String> = nil
    var peerPrincipal = WorkloadMetadata.unknownValue
    /// Inbound: the request's host; outbound: the chosen cluster. Turned into the service's host once per change.
    var serviceSource = ""
    var mutualTLS = false
    /// What the access logs need beyond the metrics; nil when the listener does not log.
    var accessLog: Optional<RequestAccessLog> = nil
    /// This proxy's span of the request; nil when the listener does not trace.
    var span: Optional<RequestSpan>
    /// Istio's standard metrics count this request (on unless the Telemetry API turned them off).
    var recordsMetrics: Bool
    /// The values of the Telemetry API's per-request tag expressions (`TagOverrides.perRequest`);
    /// `response.code` ones are filled when the request ends.
    var custom: [String] = []

    init(started: NIODeadline, recordsMetrics: Bool = true, grpc: Bool = false, span: consuming RequestSpan? = nil) {
        self.started = started
        self.grpc = grpc
        self.span = consume span
        self.recordsMetrics = recordsMetrics
    }

    /// Made anew for the connection's next request, as `init` makes it: a connection reuses the
    /// last request's object when nothing else holds it (an allocation and its free a request).
    func restart(started: NIODeadline, recordsMetrics: Bool, grpc: Bool, span: consuming RequestSpan?) {
        self.started = started
        requestBytes = 0
        responseBytes = 0
        status = 0
        flags = "-"
        self.grpc = grpc
        grpcStatus = ""
        peerHeader = nil
        peerPrincipal = WorkloadMetadata.unknownValue
        serviceSource = ""
        mutualTLS = false
        // Cleared only when set (a nil stored over a nil still went through the type's destroy).
        if accessLog != nil { accessLog = nil }
        self.span = consume span
        self.recordsMetrics = recordsMetrics
        if !custom.isEmpty { custom = [] }
    }

    /// Adds Envoy response flags, after those already set (`DI,UT`; `UF,URX`); the same again is not repeated.
    func add(flags added: String) {
        guard !added.isEmpty else { return }
        flags = flags == "-" || flags == added ? added : "\(flags),\(added)"
    }

    /// The facts a series is made from; equal facts make the same series.
    struct SeriesFacts: Hashable {
        var peerHeader: String?
        var peerPrincipal: String
        var serviceSource: String
        var mutualTLS: Bool
        var grpc: Bool
        var custom: [String] = []
    }

    var facts: SeriesFacts {
        SeriesFacts(peerHeader: peerHeader, peerPrincipal: peerPrincipal, serviceSource: serviceSource, mutualTLS: mutualTLS, grpc: grpc, custom: custom)
    }

    /// Whether this request's facts are `known` (compared in place: no SeriesFacts built for it).
    func hasFacts(_ known: SeriesFacts) -> Bool {
        peerHeader == known.peerHeader && peerPrincipal == known.peerPrincipal && serviceSource == known.serviceSource
            && mutualTLS == known.mutualTLS && grpc == known.grpc && custom == known.custom
    }

    /// The series (response labels left out) as `reporter` sees it.
    static func series(_ facts: SeriesFacts, _ reporter: RequestSeries.Reporter, own: ProxyTelemetry) -> RequestSeries {
        let peer = facts.peerHeader.flatMap { PeerMetadataHeader.decode(Substring($0)) } ?? .unknown
        let service = reporter == .destination ? inboundService(authority: facts.serviceSource, namespace: own.workload.namespace) : service(ofCluster: facts.serviceSource)
        let (name, namespace) = RequestSeries.serviceNameAndNamespace(service)
        var facts = facts
        if facts.peerPrincipal != WorkloadMetadata.unknownValue, !facts.peerPrincipal.hasPrefix("spiffe://") { facts.peerPrincipal = "spiffe://" + facts.peerPrincipal }
        let requestProtocol = facts.grpc ? "grpc" : "http"
        var series: RequestSeries
        switch reporter {
        case .source:
            series = RequestSeries(reporter: .source, source: own.workload, sourcePrincipal: own.principal, destination: peer, destinationPrincipal: facts.peerPrincipal,
                                 destinationService: service, destinationServiceName: name, destinationServiceNamespace: namespace,
                                 requestProtocol: requestProtocol, responseCode: 0, connectionSecurityPolicy: WorkloadMetadata.unknownValue)
        case .destination:
            series = RequestSeries(reporter: .destination, source: peer, sourcePrincipal: facts.peerPrincipal, destination: own.workload, destinationPrincipal: own.principal,
                                 destinationService: service, destinationServiceName: name, destinationServiceNamespace: namespace,
                                 requestProtocol: requestProtocol, responseCode: 0, connectionSecurityPolicy: facts.mutualTLS ? "mutual_tls" : "none")
        }
        series.custom = facts.custom
        return series
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
