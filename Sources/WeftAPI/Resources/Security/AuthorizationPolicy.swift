/// Istio's AuthorizationPolicy: who may do what to a workload.
public typealias AuthorizationPolicy = IstioObject<AuthorizationPolicySpec>

/// `security.istio.io` AuthorizationPolicy spec (authorization_policy.proto).
public struct AuthorizationPolicySpec: IstioSpec {
    public static let resourceType = ResourceType(group: "security.istio.io", kind: "AuthorizationPolicy", versions: ["v1", "v1beta1"], plural: "authorizationpolicies", shortNames: ["ap"])
    /// What a matching request gets.
    public enum Action: String, APIEnum { case ALLOW, DENY, AUDIT, CUSTOM }
    /// The external authorizer of a CUSTOM policy.
    public struct ExtensionProvider: Codable, Sendable, Hashable {
        public var name: String?
    }
    public var selector: WorkloadSelector?
    public var targetRef: PolicyTargetReference?
    public var targetRefs: [PolicyTargetReference]?
    public var rules: [Rule]?
    public var action: Action?
    public var provider: ExtensionProvider?
    public init() {}

    /// A rule matches when its from, to and when parts all match.
    public struct Rule: Codable, Sendable, Hashable {
        /// A `from` entry.
        public struct From: Codable, Sendable, Hashable { public var source: Source? }
        /// A `to` entry.
        public struct To: Codable, Sendable, Hashable { public var operation: Operation? }
        public var from: [From]?
        public var to: [To]?
        public var when: [Condition]?
    }

    /// The peer and request identity a rule matches.
    public struct Source: Codable, Sendable, Hashable {
        public var principals: [String]?
        public var notPrincipals: [String]?
        public var requestPrincipals: [String]?
        public var notRequestPrincipals: [String]?
        public var namespaces: [String]?
        public var notNamespaces: [String]?
        public var serviceAccounts: [String]?
        public var notServiceAccounts: [String]?
        public var ipBlocks: [String]?
        public var notIpBlocks: [String]?
        public var remoteIpBlocks: [String]?
        public var notRemoteIpBlocks: [String]?
    }

    /// The request a rule matches.
    public struct Operation: Codable, Sendable, Hashable {
        public var hosts: [String]?
        public var notHosts: [String]?
        public var ports: [String]?
        public var notPorts: [String]?
        public var methods: [String]?
        public var notMethods: [String]?
        public var paths: [String]?
        public var notPaths: [String]?
    }

    /// An extra attribute condition (`request.auth.claims[groups]`).
    public struct Condition: Codable, Sendable, Hashable {
        public var key: String?
        public var values: [String]?
        public var notValues: [String]?
    }
}
