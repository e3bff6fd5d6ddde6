/// Where a proxy's spans go and how: a Zipkin collector (v2 JSON, `POST /api/v2/spans`), or an
/// OpenTelemetry collector (OTLP, over gRPC or over HTTP as protobuf), as MeshConfig's `zipkin`
/// and `opentelemetry` extension providers say.
public struct SpanCollector: Sendable, Hashable, Codable {
    /// The protocol spans are sent in (on the wire).
    public enum Wire: String, Sendable, Hashable, Codable {
        case zipkin
        /// OTLP's `TraceService/Export` over gRPC (Istio's `opentelemetry` provider without `http`).
        case otlpGRPC = "otlp-grpc"
        /// OTLP over HTTP, protobuf bodies posted to `path` (the provider's `http`).
        case otlpHTTP = "otlp-http"
    }

    /// A header every export carries (the provider's `http.headers` or `grpc.initialMetadata`).
    public typealias Header = HeaderField

    /// `host:port` (a mesh service name is reached at its endpoints).
    public var address: String
    public var `protocol`: Wire
    /// OTLP over HTTP: the path (OTLP's `/v1/traces` when the provider names none).
    public var path: String
    public var headers: [Header]
    /// How long an export may take before it is given up, milliseconds (nil: the exporter's default).
    public var timeoutMs: Int?
    /// OTLP: the spans' resource takes `OTEL_RESOURCE_ATTRIBUTES` from the proxy's environment
    /// (the provider's `resourceDetectors.environment`).
    public var environmentResource: Bool

    public init(address: String, protocol: Wire = .zipkin, path: String = "/v1/traces", headers: [Header] = [], timeoutMs: Int? = nil,
                environmentResource: Bool = false) {
        self.address = address
        self.protocol = `protocol`
        self.path = path
        self.headers = headers
        self.timeoutMs = timeoutMs
        self.environmentResource = environmentResource
    }

    /// A Zipkin collector at `address`.
    public static func zipkin(_ address: String) -> SpanCollector { SpanCollector(address: address) }
}
