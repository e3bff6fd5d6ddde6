/// Istio's WorkloadEntry: a workload that is not a pod (a VM, or here any host process).
public typealias WorkloadEntry = IstioObject<WorkloadEntrySpec>
/// Istio's WorkloadGroup: the template for WorkloadEntries that register themselves.
public typealias WorkloadGroup = IstioObject<WorkloadGroupSpec>

/// `networking.istio.io` WorkloadEntry spec (workload_entry.proto); also a ServiceEntry endpoint.
public struct WorkloadEntrySpec: IstioSpec {
    public static let resourceType = ResourceType(group: "networking.istio.io", kind: "WorkloadEntry", versions: ["v1", "v1beta1", "v1alpha3"], plural: "workloadentries", shortNames: ["we"])
    public var address: String?
    public var ports: [String: Int]?
    public var labels: [String: String]?
    public var network: String?
    public var locality: String?
    public var weight: Int?
    public var serviceAccount: String?
    public init() {}
}

/// `networking.istio.io` WorkloadGroup spec (workload_group.proto).
public struct WorkloadGroupSpec: IstioSpec {
    public static let resourceType = ResourceType(group: "networking.istio.io", kind: "WorkloadGroup", versions: ["v1", "v1beta1", "v1alpha3"], plural: "workloadgroups", shortNames: ["wg"])
    /// Labels and annotations given to generated entries.
    public struct Metadata: Codable, Sendable, Hashable {
        public var labels: [String: String]?
        public var annotations: [String: String]?
    }
    /// How the workload's readiness is checked.
    public struct ReadinessProbe: Codable, Sendable, Hashable {
        /// An HTTP GET check.
        public struct HTTPGet: Codable, Sendable, Hashable {
            /// A header sent with the probe.
            public struct Header: Codable, Sendable, Hashable {
                public var name: String?
                public var value: String?
            }
            public var path: String?
            public var port: Int?
            public var host: String?
            public var scheme: String?
            public var httpHeaders: [Header]?
        }
        /// A TCP connect check.
        public struct TCPSocket: Codable, Sendable, Hashable {
            public var host: String?
            public var port: Int?
        }
        /// A command run beside the workload.
        public struct Exec: Codable, Sendable, Hashable {
            public var command: [String]?
        }
        /// A gRPC health check.
        public struct GRPC: Codable, Sendable, Hashable {
            public var port: Int?
            public var service: String?
        }
        public var initialDelaySeconds: Int?
        public var timeoutSeconds: Int?
        public var periodSeconds: Int?
        public var successThreshold: Int?
        public var failureThreshold: Int?
        public var httpGet: HTTPGet?
        public var tcpSocket: TCPSocket?
        public var exec: Exec?
        public var grpc: GRPC?
    }
    public var metadata: Metadata?
    public var template: WorkloadEntrySpec?
    public var probe: ReadinessProbe?
    public init() {}
}
