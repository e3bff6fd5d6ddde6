/// Kubernetes Namespace (cluster-scoped). Its labels (`istio-injection`) matter to Weft.
public struct Namespace: APIResource {
    public static let resourceType = ResourceType(group: "", kind: "Namespace", versions: ["v1"], plural: "namespaces", shortNames: ["ns"], namespaced: false)
    /// Namespace spec.
    public struct Spec: Codable, Sendable, Hashable { public var finalizers: [String]? }
    public var apiVersion: String
    public var kind: String
    public var metadata: ObjectMeta
    public var spec: Spec?
    public var status: AnyValue?
    public func validate(into validator: inout Validator) { validator.validateMetadata(metadata, type: Self.resourceType) }
}

/// Kubernetes ServiceAccount: the identity a workload's SPIFFE ID names.
public struct ServiceAccount: APIResource {
    public static let resourceType = ResourceType(group: "", kind: "ServiceAccount", versions: ["v1"], plural: "serviceaccounts", shortNames: ["sa"])
    public var apiVersion: String
    public var kind: String
    public var metadata: ObjectMeta
    public var secrets: [AnyValue]?
    public var imagePullSecrets: [AnyValue]?
    public var automountServiceAccountToken: Bool?
    public func validate(into validator: inout Validator) { validator.validateMetadata(metadata, type: Self.resourceType) }
}

/// Kubernetes Service: a host name, ports, and the selector that picks its workloads.
public struct Service: APIResource {
    public static let resourceType = ResourceType(group: "", kind: "Service", versions: ["v1"], plural: "services", shortNames: ["svc"])
    /// One service port.
    public struct ServicePort: Codable, Sendable, Hashable {
        public var name: String?
        public var `protocol`: String?
        public var appProtocol: String?
        public var port: Int?
        public var targetPort: IntOrString?
        public var nodePort: Int?
    }
    /// Service spec.
    public struct Spec: Codable, Sendable, Hashable {
        public var type: String?
        public var selector: [String: String]?
        public var ports: [ServicePort]?
        public var clusterIP: String?
        public var clusterIPs: [String]?
        public var externalName: String?
        public var externalIPs: [String]?
        public var externalTrafficPolicy: String?
        public var internalTrafficPolicy: String?
        public var sessionAffinity: String?
        public var sessionAffinityConfig: AnyValue?
        public var loadBalancerIP: String?
        public var loadBalancerClass: String?
        public var loadBalancerSourceRanges: [String]?
        public var allocateLoadBalancerNodePorts: Bool?
        public var healthCheckNodePort: Int?
        public var ipFamilies: [String]?
        public var ipFamilyPolicy: String?
        public var publishNotReadyAddresses: Bool?
        public var trafficDistribution: String?
    }
    public var apiVersion: String
    public var kind: String
    public var metadata: ObjectMeta
    public var spec: Spec?
    public var status: AnyValue?
    public func validate(into validator: inout Validator) {
        validator.validateMetadata(metadata, type: Self.resourceType)
        validator.validateService(self)
    }
}

/// Kubernetes Deployment: labels, service account and ports of a workload's pods.
public struct Deployment: APIResource {
    public static let resourceType = ResourceType(group: "apps", kind: "Deployment", versions: ["v1"], plural: "deployments", shortNames: ["deploy"])
    /// Deployment spec.
    public struct Spec: Codable, Sendable, Hashable {
        public var replicas: Int?
        public var selector: LabelSelector?
        public var template: PodTemplateSpec?
        public var strategy: AnyValue?
        public var minReadySeconds: Int?
        public var revisionHistoryLimit: Int?
        public var progressDeadlineSeconds: Int?
        public var paused: Bool?
    }
    public var apiVersion: String
    public var kind: String
    public var metadata: ObjectMeta
    public var spec: Spec?
    public var status: AnyValue?
    public func validate(into validator: inout Validator) {
        validator.validateMetadata(metadata, type: Self.resourceType)
        validator.validateDeployment(self)
    }
}

/// Kubernetes Pod.
public struct Pod: APIResource {
    public static let resourceType = ResourceType(group: "", kind: "Pod", versions: ["v1"], plural: "pods", shortNames: ["po"])
    public var apiVersion: String
    public var kind: String
    public var metadata: ObjectMeta
    public var spec: PodSpec?
    public var status: AnyValue?

    public init(apiVersion: String = "v1", kind: String = "Pod", metadata: ObjectMeta, spec: PodSpec? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.metadata = metadata
        self.spec = spec
    }
    public func validate(into validator: inout Validator) {
        validator.validateMetadata(metadata, type: Self.resourceType)
        if let spec { validator.validatePodSpec(spec, at: FieldPath([.key("spec")])) }
    }
}

/// Kubernetes Secret; `kubernetes.io/tls` secrets hold gateway certificates (`credentialName`).
public struct Secret: APIResource {
    public static let resourceType = ResourceType(group: "", kind: "Secret", versions: ["v1"], plural: "secrets")
    public var apiVersion: String
    public var kind: String
    public var metadata: ObjectMeta
    public var type: String?
    /// Base64-encoded values.
    public var data: [String: String]?
    public var stringData: [String: String]?
    public var immutable: Bool?
    public func validate(into validator: inout Validator) {
        validator.validateMetadata(metadata, type: Self.resourceType)
        validator.validateSecret(self)
    }
}

/// Kubernetes ConfigMap; the `istio` ConfigMap's `mesh` key holds a MeshConfig document.
public struct ConfigMap: APIResource {
    public static let resourceType = ResourceType(group: "", kind: "ConfigMap", versions: ["v1"], plural: "configmaps", shortNames: ["cm"])
    public var apiVersion: String
    public var kind: String
    public var metadata: ObjectMeta
    public var data: [String: String]?
    public var binaryData: [String: String]?
    public var immutable: Bool?
    public func validate(into validator: inout Validator) {
        validator.validateMetadata(metadata, type: Self.resourceType)
        validator.validateConfigMap(self)
    }
}
