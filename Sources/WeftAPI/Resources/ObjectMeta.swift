/// Kubernetes object metadata, as every resource carries it.
public struct ObjectMeta: Codable, Sendable, Hashable {
    public var name: String?
    public var generateName: String?
    public var namespace: String?
    public var labels: [String: String]?
    public var annotations: [String: String]?
    public var uid: String?
    public var resourceVersion: String?
    public var generation: Int?
    public var creationTimestamp: String?
    public var deletionTimestamp: String?
    public var deletionGracePeriodSeconds: Int?
    public var finalizers: [String]?
    public var ownerReferences: [AnyValue]?
    public var managedFields: [AnyValue]?

    public init(name: String? = nil, namespace: String? = nil, labels: [String: String]? = nil) {
        self.name = name
        self.namespace = namespace
        self.labels = labels
    }
}

/// A label selector with `matchLabels` and `matchExpressions` (Deployments, Kubernetes Gateway selectors).
public struct LabelSelector: Codable, Sendable, Hashable {
    /// One `matchExpressions` term.
    public struct Requirement: Codable, Sendable, Hashable {
        public var key: String?
        public var `operator`: String?
        public var values: [String]?
    }
    public var matchLabels: [String: String]?
    public var matchExpressions: [Requirement]?
}

/// Istio's `WorkloadSelector` (`selector: {matchLabels: ...}` on policies, `workloadSelector` on Sidecar and DestinationRule).
public struct WorkloadSelector: Codable, Sendable, Hashable {
    public var matchLabels: [String: String]?
}

/// The `workloadSelector` of Sidecar and ServiceEntry (networking's own selector, keyed `labels`).
public struct NetworkingWorkloadSelector: Codable, Sendable, Hashable {
    public var labels: [String: String]?
}

/// A `targetRef` naming a Kubernetes Gateway or Service that a policy binds to.
public struct PolicyTargetReference: Codable, Sendable, Hashable {
    public var group: String?
    public var kind: String?
    public var name: String?
    public var namespace: String?
}
