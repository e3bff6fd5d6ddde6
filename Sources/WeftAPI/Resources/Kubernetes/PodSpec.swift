/// A Kubernetes pod template: labels and annotations plus the pod spec.
public struct PodTemplateSpec: Codable, Sendable, Hashable {
    public var metadata: ObjectMeta?
    public var spec: PodSpec?
}

/// The parts of a Kubernetes PodSpec. Fields Weft reads are typed; the scheduling and volume
/// detail it has no use for on plain hosts is kept as written.
public struct PodSpec: Codable, Sendable, Hashable {
    public var activeDeadlineSeconds: Int?
    public var affinity: AnyValue?
    public var automountServiceAccountToken: Bool?
    public var containers: [Container]?
    public var dnsConfig: AnyValue?
    public var dnsPolicy: String?
    public var enableServiceLinks: Bool?
    public var ephemeralContainers: [AnyValue]?
    public var hostAliases: [AnyValue]?
    public var hostIPC: Bool?
    public var hostNetwork: Bool?
    public var hostPID: Bool?
    public var hostUsers: Bool?
    public var hostname: String?
    public var imagePullSecrets: [AnyValue]?
    public var initContainers: [Container]?
    public var nodeName: String?
    public var nodeSelector: [String: String]?
    public var os: AnyValue?
    public var overhead: [String: Quantity]?
    public var preemptionPolicy: String?
    public var priority: Int?
    public var priorityClassName: String?
    public var readinessGates: [AnyValue]?
    public var resourceClaims: [AnyValue]?
    public var resources: ResourceRequirements?
    public var restartPolicy: String?
    public var runtimeClassName: String?
    public var schedulerName: String?
    public var schedulingGates: [AnyValue]?
    public var securityContext: PodSecurityContext?
    /// Deprecated alias of `serviceAccountName`.
    public var serviceAccount: String?
    public var serviceAccountName: String?
    public var setHostnameAsFQDN: Bool?
    public var shareProcessNamespace: Bool?
    public var subdomain: String?
    public var terminationGracePeriodSeconds: Int?
    public var tolerations: [AnyValue]?
    public var topologySpreadConstraints: [AnyValue]?
    public var volumes: [AnyValue]?
}

/// A container of a pod.
public struct Container: Codable, Sendable, Hashable {
    /// A port the container listens on.
    public struct ContainerPort: Codable, Sendable, Hashable {
        public var name: String?
        public var containerPort: Int?
        public var hostPort: Int?
        public var hostIP: String?
        public var `protocol`: String?
    }
    /// An environment variable.
    public struct EnvVar: Codable, Sendable, Hashable {
        public var name: String?
        public var value: String?
        public var valueFrom: AnyValue?
    }
    public var name: String?
    public var image: String?
    public var imagePullPolicy: String?
    public var command: [String]?
    public var args: [String]?
    public var workingDir: String?
    public var ports: [ContainerPort]?
    public var env: [EnvVar]?
    public var envFrom: [AnyValue]?
    public var resources: ResourceRequirements?
    public var resizePolicy: [AnyValue]?
    public var restartPolicy: String?
    public var volumeMounts: [AnyValue]?
    public var volumeDevices: [AnyValue]?
    public var livenessProbe: AnyValue?
    public var readinessProbe: AnyValue?
    public var startupProbe: AnyValue?
    public var lifecycle: AnyValue?
    public var terminationMessagePath: String?
    public var terminationMessagePolicy: String?
    public var securityContext: SecurityContext?
    public var stdin: Bool?
    public var stdinOnce: Bool?
    public var tty: Bool?
}

/// CPU and memory requests and limits.
public struct ResourceRequirements: Codable, Sendable, Hashable {
    public var limits: [String: Quantity]?
    public var requests: [String: Quantity]?
    public var claims: [AnyValue]?
}

/// A container's security settings; `runAsUser` matters to Istio's UID analyzers.
public struct SecurityContext: Codable, Sendable, Hashable {
    public var allowPrivilegeEscalation: Bool?
    public var appArmorProfile: AnyValue?
    public var capabilities: AnyValue?
    public var privileged: Bool?
    public var procMount: String?
    public var readOnlyRootFilesystem: Bool?
    public var runAsGroup: Int?
    public var runAsNonRoot: Bool?
    public var runAsUser: Int?
    public var seLinuxOptions: AnyValue?
    public var seccompProfile: AnyValue?
    public var windowsOptions: AnyValue?
}

/// A pod's security settings.
public struct PodSecurityContext: Codable, Sendable, Hashable {
    public var appArmorProfile: AnyValue?
    public var fsGroup: Int?
    public var fsGroupChangePolicy: String?
    public var runAsGroup: Int?
    public var runAsNonRoot: Bool?
    public var runAsUser: Int?
    public var seLinuxOptions: AnyValue?
    public var seccompProfile: AnyValue?
    public var supplementalGroups: [Int]?
    public var supplementalGroupsPolicy: String?
    public var sysctls: [AnyValue]?
    public var windowsOptions: AnyValue?
}
