/// Istio's Sidecar: what a sidecar listens for and which hosts it can reach.
public typealias Sidecar = IstioObject<SidecarSpec>

/// `networking.istio.io` Sidecar spec (sidecar.proto).
public struct SidecarSpec: IstioSpec {
    public static let resourceType = ResourceType(group: "networking.istio.io", kind: "Sidecar", versions: ["v1", "v1beta1", "v1alpha3"], plural: "sidecars")
    /// How traffic reaches a listener.
    public enum CaptureMode: String, APIEnum { case DEFAULT, IPTABLES, NONE }
    /// An inbound listener.
    public struct IngressListener: Codable, Sendable, Hashable {
        public var port: Port?
        public var bind: String?
        public var captureMode: CaptureMode?
        public var defaultEndpoint: String?
        public var tls: ServerTLSSettings?
        public var connectionPool: ConnectionPoolSettings?
    }
    /// An outbound listener and the hosts it may reach (`namespace/host`).
    public struct EgressListener: Codable, Sendable, Hashable {
        public var port: Port?
        public var bind: String?
        public var captureMode: CaptureMode?
        public var hosts: [String]?
    }
    /// What happens to traffic for hosts outside the registry.
    public struct OutboundTrafficPolicy: Codable, Sendable, Hashable {
        /// REGISTRY_ONLY blocks unknown hosts; ALLOW_ANY passes them through.
        public enum Mode: String, APIEnum { case REGISTRY_ONLY, ALLOW_ANY }
        public var mode: Mode?
        public var egressProxy: Destination?
    }
    public var workloadSelector: NetworkingWorkloadSelector?
    public var ingress: [IngressListener]?
    public var egress: [EgressListener]?
    public var inboundConnectionPool: ConnectionPoolSettings?
    public var outboundTrafficPolicy: OutboundTrafficPolicy?
    public init() {}
}
