/// One AuthorizationPolicy as a proxy enforces it: Istio's rules with the API's optional lists
/// made plain (an empty list is "not set"), already scoped to the proxy by the control plane.
public struct AuthorizationPolicyConfig: Sendable, Hashable, Codable {
    /// What a matching request gets (CUSTOM never reaches a proxy: validation refuses it).
    public enum Action: String, Sendable, Hashable, Codable { case allow = "ALLOW", deny = "DENY", audit = "AUDIT" }

    /// `namespace/name`, the name logs and `weft x authz` show.
    public var name: String
    public var action: Action
    /// `istio.io/dry-run: "true"`: evaluated, logged and counted, never enforced.
    public var dryRun: Bool
    /// A request matches the policy when any rule matches; no rules match nothing.
    public var rules: [AuthorizationRule]

    public init(name: String, action: Action, dryRun: Bool = false, rules: [AuthorizationRule]) {
        self.name = name
        self.action = action
        self.dryRun = dryRun
        self.rules = rules
    }
}

/// A rule matches when any source (or none given), any operation (or none given) and every condition match.
public struct AuthorizationRule: Sendable, Hashable, Codable {
    public var sources: [Source]
    public var operations: [Operation]
    public var conditions: [Condition]

    public init(sources: [Source] = [], operations: [Operation] = [], conditions: [Condition] = []) {
        self.sources = sources
        self.operations = operations
        self.conditions = conditions
    }

    /// `from.source`: every list given must match (the `not` lists must not).
    public struct Source: Sendable, Hashable, Codable {
        public var principals: [String] = []
        public var notPrincipals: [String] = []
        public var requestPrincipals: [String] = []
        public var notRequestPrincipals: [String] = []
        public var namespaces: [String] = []
        public var notNamespaces: [String] = []
        public var ipBlocks: [String] = []
        public var notIpBlocks: [String] = []
        public var remoteIpBlocks: [String] = []
        public var notRemoteIpBlocks: [String] = []
        public init() {}
    }

    /// `to.operation`: every list given must match (the `not` lists must not).
    public struct Operation: Sendable, Hashable, Codable {
        public var hosts: [String] = []
        public var notHosts: [String] = []
        public var ports: [String] = []
        public var notPorts: [String] = []
        public var methods: [String] = []
        public var notMethods: [String] = []
        public var paths: [String] = []
        public var notPaths: [String] = []
        public init() {}
    }

    /// `when`: the attribute `key` has one of `values` (if given) and none of `notValues`.
    public struct Condition: Sendable, Hashable, Codable {
        public var key: String
        public var values: [String]
        public var notValues: [String]
        public init(key: String, values: [String] = [], notValues: [String] = []) {
            self.key = key
            self.values = values
            self.notValues = notValues
        }
    }
}
