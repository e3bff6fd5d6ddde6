/// One access log of a listener: MeshConfig's `accessLogFile`/`accessLogEncoding`/`accessLogFormat`,
/// or a Telemetry API `accessLogging` entry with its provider. The format is kept as given and
/// parsed by the proxy (and checked by validation), so the wire carries what the user wrote.
public struct AccessLogConfig: Sendable, Hashable, Codable {
    /// TEXT (a format string) or JSON (a format dictionary).
    public enum Encoding: String, Sendable, Hashable, Codable { case text, json }
    /// A file; `/dev/stdout` and `/dev/stderr` are the proxy's own streams.
    public var path: String
    public var encoding: Encoding
    /// The format as given (JSON: the object's text); empty for Istio's default of the encoding.
    public var format: String
    /// A CEL expression (Telemetry API `filter.expression`); nil logs every request.
    public var filter: String?
    /// Records go to an OpenTelemetry collector instead of `path` (MeshConfig `envoyOtelAls`); `format` is their body.
    public var otlp: OTLPLogTarget?

    public init(path: String, encoding: Encoding = .text, format: String = "", filter: String? = nil, otlp: OTLPLogTarget? = nil) {
        self.path = path
        self.encoding = encoding
        self.format = format
        self.filter = filter
        self.otlp = otlp
    }
}

/// An OpenTelemetry collector that takes access log records over OTLP/gRPC (`LogsService/Export`),
/// as Envoy's OpenTelemetry access logger sends them for Istio's `envoyOtelAls` provider.
public struct OTLPLogTarget: Sendable, Hashable, Codable {
    /// A record attribute: its name and the format of its value (the provider's `logFormat.labels`).
    public struct Attribute: Sendable, Hashable, Codable {
        public var name: String
        public var format: String
        public init(name: String, format: String) {
            self.name = name
            self.format = format
        }
    }

    /// `host:port` (a mesh service name is reached at its endpoints).
    public var address: String
    /// The provider's `logName` (Istio's default `otel_envoy_accesslog`), the records' scope name.
    public var logName: String
    public var attributes: [Attribute]

    public init(address: String, logName: String = "otel_envoy_accesslog", attributes: [Attribute] = []) {
        self.address = address
        self.logName = logName
        self.attributes = attributes
    }
}

/// How a listener traces requests: spans to a collector (Zipkin or OpenTelemetry), sampled at a percentage.
public struct TracingConfig: Sendable, Hashable, Codable {
    /// A custom span tag (Telemetry API `customTags`, ProxyConfig `tracing.customTags`).
    public struct CustomTag: Sendable, Hashable, Codable {
        /// Where the tag's value comes from.
        public enum Source: Sendable, Hashable, Codable {
            case literal(String)
            case header(String)
            case environment(String)
        }
        public var name: String
        public var source: Source
        /// Used when the header or variable is absent.
        public var defaultValue: String?
        public init(name: String, source: Source, defaultValue: String? = nil) {
            self.name = name
            self.source = source
            self.defaultValue = defaultValue
        }
    }

    /// Where the spans go, and in which protocol.
    public var collector: SpanCollector
    /// Percent of requests sampled when no caller decided (0…100; Istio's default 1).
    public var sampling: Double
    public var customTags: [CustomTag] = []
    /// The longest `http.url` tag (Istio's default 256).
    public var maxPathTagLength = 256
    /// The `istio.mesh_id` tag.
    public var meshID = "cluster.local"
    /// Spans are made and context propagated, but nothing is sent.
    public var disableSpanReporting = false

    public init(collector: SpanCollector, sampling: Double) {
        self.collector = collector
        self.sampling = sampling
    }

    /// Spans to the Zipkin collector at `zipkinAddress`.
    public init(zipkinAddress: String, sampling: Double) {
        self.init(collector: .zipkin(zipkinAddress), sampling: sampling)
    }
}

/// Telemetry API metric overrides of one listener.
public struct MetricsOverridesConfig: Sendable, Hashable, Codable {
    /// A label added, changed or removed.
    public struct TagOverride: Sendable, Hashable, Codable {
        /// The metric (`istio_requests_total`, …); nil: every metric.
        public var metric: String?
        public var tag: String
        /// Nil removes the label; else a CEL expression for its value.
        public var value: String?
        public init(metric: String?, tag: String, value: String?) {
            self.metric = metric
            self.tag = tag
            self.value = value
        }
    }
    /// No standard metric is recorded.
    public var disabled = false
    /// Metric names not recorded.
    public var disabledMetrics: [String] = []
    public var tagOverrides: [TagOverride] = []
    public init() {}
}
