/// Istio's PeerAuthentication: whether a workload accepts plaintext, mTLS, or both.
public typealias PeerAuthentication = IstioObject<PeerAuthenticationSpec>

/// `security.istio.io` PeerAuthentication spec (peer_authentication.proto).
public struct PeerAuthenticationSpec: IstioSpec {
    public static let resourceType = ResourceType(group: "security.istio.io", kind: "PeerAuthentication", versions: ["v1", "v1beta1"], plural: "peerauthentications", shortNames: ["pa"])
    /// The mTLS setting of a workload or port.
    public struct MutualTLS: Codable, Sendable, Hashable {
        /// UNSET inherits from the parent scope.
        public enum Mode: String, APIEnum { case UNSET, DISABLE, PERMISSIVE, STRICT }
        public var mode: Mode?
    }
    public var selector: WorkloadSelector?
    public var mtls: MutualTLS?
    /// Keyed by container port number.
    public var portLevelMtls: [String: MutualTLS]?
    public init() {}
}
