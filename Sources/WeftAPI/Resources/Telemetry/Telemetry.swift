/// Istio's Telemetry: metrics, tracing and access logging per workload.
public typealias Telemetry = IstioObject<TelemetrySpec>

/// `telemetry.istio.io` Telemetry spec (telemetry.proto).
public struct TelemetrySpec: IstioSpec {
    public static let resourceType = ResourceType(group: "telemetry.istio.io", kind: "Telemetry", versions: ["v1", "v1alpha1"], plural: "telemetries", shortNames: ["telemetry"])
    /// A provider named in MeshConfig's `extensionProviders`.
    public struct ProviderRef: Codable, Sendable, Hashable { public var name: String? }
    /// Which traffic direction a setting applies to.
    public enum WorkloadMode: String, APIEnum { case CLIENT_AND_SERVER, CLIENT, SERVER }
    /// Selects a traffic direction.
    public struct ModeMatch: Codable, Sendable, Hashable { public var mode: WorkloadMode? }

    /// Tracing settings.
    public struct Tracing: Codable, Sendable, Hashable {
        /// A span tag from a literal, an environment variable or a request header.
        public struct CustomTag: Codable, Sendable, Hashable {
            /// A fixed value.
            public struct Literal: Codable, Sendable, Hashable { public var value: String? }
            /// A value from the proxy's environment.
            public struct Environment: Codable, Sendable, Hashable { public var name: String?; public var defaultValue: String? }
            /// A value from a request header.
            public struct Header: Codable, Sendable, Hashable { public var name: String?; public var defaultValue: String? }
            public var literal: Literal?
            public var environment: Environment?
            public var header: Header?
        }
        public var match: ModeMatch?
        public var providers: [ProviderRef]?
        public var randomSamplingPercentage: Double?
        public var disableSpanReporting: Bool?
        public var customTags: [String: CustomTag]?
        public var useRequestIdForTraceSampling: Bool?
    }

    /// Metrics settings.
    public struct Metrics: Codable, Sendable, Hashable {
        /// Changes to one metric or all.
        public struct Override: Codable, Sendable, Hashable {
            /// Istio's standard metrics.
            public enum IstioMetric: String, APIEnum {
                case ALL_METRICS, REQUEST_COUNT, REQUEST_DURATION, REQUEST_SIZE, RESPONSE_SIZE, TCP_OPENED_CONNECTIONS,
                     TCP_CLOSED_CONNECTIONS, TCP_SENT_BYTES, TCP_RECEIVED_BYTES, GRPC_REQUEST_MESSAGES, GRPC_RESPONSE_MESSAGES
            }
            /// Which metric and direction.
            public struct Selector: Codable, Sendable, Hashable {
                public var metric: IstioMetric?
                public var customMetric: String?
                public var mode: WorkloadMode?
            }
            /// A tag edit.
            public struct TagOverride: Codable, Sendable, Hashable {
                /// UPSERT sets the tag; REMOVE drops it.
                public enum Operation: String, APIEnum { case UPSERT, REMOVE }
                public var operation: Operation?
                public var value: String?
            }
            public var match: Selector?
            public var disabled: Bool?
            public var tagOverrides: [String: TagOverride]?
        }
        public var providers: [ProviderRef]?
        public var overrides: [Override]?
        public var reportingInterval: IstioDuration?
    }

    /// Access log settings.
    public struct AccessLogging: Codable, Sendable, Hashable {
        /// A CEL expression selecting the requests logged.
        public struct Filter: Codable, Sendable, Hashable { public var expression: String? }
        public var match: ModeMatch?
        public var providers: [ProviderRef]?
        public var disabled: Bool?
        public var filter: Filter?
    }

    public var selector: WorkloadSelector?
    public var targetRef: PolicyTargetReference?
    public var targetRefs: [PolicyTargetReference]?
    public var tracing: [Tracing]?
    public var metrics: [Metrics]?
    public var accessLogging: [AccessLogging]?
    public init() {}
}
