/// A service in the registry: a host name with ports, from a Kubernetes Service or a ServiceEntry.
public struct MeshService: Sendable, Hashable {
    /// Where the service came from.
    public enum Origin: String, Sendable, Hashable { case kubernetes, serviceEntry }
    /// How endpoints are found (ServiceEntry's resolution; Kubernetes services are STATIC).
    public enum Resolution: String, Sendable, Hashable { case none, staticAddresses, dns, dnsRoundRobin }

    /// One service port.
    public struct Port: Sendable, Hashable {
        public var name: String
        public var number: Int
        /// The workload port: a number, a container port name, or nil for "same as `number`".
        public var targetPort: TargetPort?
        /// Istio protocol (HTTP, TCP, GRPC, ...), from the name or appProtocol; nil to detect.
        public var protocolName: String?
        public init(name: String, number: Int, targetPort: TargetPort? = nil, protocolName: String? = nil) {
            self.name = name
            self.number = number
            self.targetPort = targetPort
            self.protocolName = protocolName
        }
    }

    /// A Service `targetPort`.
    public enum TargetPort: Sendable, Hashable {
        case number(Int)
        case name(String)
    }

    /// The FQDN (`reviews.default.svc.cluster.local`) or a ServiceEntry host.
    public var hostname: String
    public var namespace: String
    /// The resource name (Service or ServiceEntry).
    public var name: String
    public var origin: Origin
    public var ports: [Port]
    /// Labels that select its workloads (Service selector or ServiceEntry workloadSelector); nil selects none.
    public var selector: [String: String]?
    public var resolution: Resolution
    /// Namespaces that may see it: ["*"] for all, from `exportTo` or the exportTo annotation.
    public var exportTo: [String]
    /// A ServiceEntry's MESH_EXTERNAL location: not in the mesh, so no auto mutual TLS and no peer metadata.
    public var meshExternal: Bool
    /// A ServiceEntry's `subjectAltNames`: the names its servers' certificates may carry.
    public var subjectAltNames: [String] = []
    /// Virtual IPs: declared (Kubernetes `clusterIP`, ServiceEntry `addresses`) or allocated (`ServiceAddresses`).
    public var addresses: [String] = []

    public init(hostname: String, namespace: String, name: String, origin: Origin, ports: [Port], selector: [String: String]?,
                resolution: Resolution = .staticAddresses, exportTo: [String] = ["*"], meshExternal: Bool = false) {
        self.hostname = hostname
        self.namespace = namespace
        self.name = name
        self.origin = origin
        self.ports = ports
        self.selector = selector
        self.resolution = resolution
        self.exportTo = exportTo
        self.meshExternal = meshExternal
    }

    /// Whether a proxy in `namespace` may see this service.
    public func isVisible(from namespace: String) -> Bool {
        exportTo.contains("*") || exportTo.contains(namespace) || (exportTo.contains(".") && namespace == self.namespace)
    }

    public func port(_ number: Int) -> Port? { ports.first { $0.number == number } }
}
