/// One time series of Istio's HTTP metrics: the labels of `istio_requests_total` and of the
/// three histograms, as istio.io's standard metrics reference names them.
public struct RequestSeries: Sendable, Hashable {
    /// Which proxy reports: the client's sidecar or a gateway (`source`), the server's (`destination`).
    public enum Reporter: String, Sendable, Hashable { case source, destination }

    public var reporter: Reporter
    public var source: WorkloadMetadata
    /// `spiffe://…` of the client, from mutual TLS; `unknown` without it.
    public var sourcePrincipal: String
    public var destination: WorkloadMetadata
    public var destinationPrincipal: String
    /// The service's host (`reviews.default.svc.cluster.local`), or `unknown`.
    public var destinationService: String
    public var destinationServiceName: String
    public var destinationServiceNamespace: String
    /// `http` or `grpc`.
    public var requestProtocol: String
    public var responseCode: Int
    /// The gRPC status number, empty for a non-gRPC request.
    public var grpcResponseStatus: String
    /// Envoy's flags (`UH`, `NR`, `UF,URX`), `-` when none.
    public var responseFlags: String
    /// `mutual_tls` or `none` at the destination; `unknown` at the source, as Istio reports it.
    public var connectionSecurityPolicy: String
    /// The values of the Telemetry API's per-request tag expressions (`TagOverrides.perRequest`), in order.
    public var custom: [String] = []

    public init(reporter: Reporter, source: WorkloadMetadata, sourcePrincipal: String, destination: WorkloadMetadata, destinationPrincipal: String,
                destinationService: String, destinationServiceName: String, destinationServiceNamespace: String, requestProtocol: String = "http",
                responseCode: Int, grpcResponseStatus: String = "", responseFlags: String = "-", connectionSecurityPolicy: String) {
        self.reporter = reporter
        self.source = source
        self.sourcePrincipal = sourcePrincipal
        self.destination = destination
        self.destinationPrincipal = destinationPrincipal
        self.destinationService = destinationService
        self.destinationServiceName = destinationServiceName
        self.destinationServiceNamespace = destinationServiceNamespace
        self.requestProtocol = requestProtocol
        self.responseCode = responseCode
        self.grpcResponseStatus = grpcResponseStatus
        self.responseFlags = responseFlags
        self.connectionSecurityPolicy = connectionSecurityPolicy
    }

    /// The labels in Istio's order, values as exposed.
    public var labels: [(String, String)] {
        [
            ("reporter", reporter.rawValue),
            ("source_workload", source.workload), ("source_canonical_service", source.canonicalService), ("source_canonical_revision", source.canonicalRevision),
            ("source_workload_namespace", source.namespace), ("source_principal", sourcePrincipal), ("source_app", source.app),
            ("source_version", source.version), ("source_cluster", source.cluster),
            ("destination_workload", destination.workload), ("destination_workload_namespace", destination.namespace),
            ("destination_principal", destinationPrincipal), ("destination_app", destination.app), ("destination_version", destination.version),
            ("destination_service", destinationService), ("destination_canonical_service", destination.canonicalService),
            ("destination_canonical_revision", destination.canonicalRevision), ("destination_service_name", destinationServiceName),
            ("destination_service_namespace", destinationServiceNamespace), ("destination_cluster", destination.cluster),
            ("request_protocol", requestProtocol), ("response_code", String(responseCode)), ("grpc_response_status", grpcResponseStatus),
            ("response_flags", responseFlags), ("connection_security_policy", connectionSecurityPolicy),
        ]
    }

    /// The labels of Istio's TCP metrics: those of a request but its response code and gRPC status.
    public var tcpLabels: [(String, String)] {
        labels.filter { $0.0 != "response_code" && $0.0 != "grpc_response_status" }
    }

    /// `reviews.default.svc.cluster.local` → (`reviews`, `default`); a host of another form keeps its name and has namespace `unknown`.
    public static func serviceNameAndNamespace(_ host: String) -> (String, String) {
        let parts = host.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        if parts.count == 3, parts[2].hasPrefix("svc") { return (String(parts[0]), String(parts[1])) }
        return (host, WorkloadMetadata.unknownValue)
    }
}
