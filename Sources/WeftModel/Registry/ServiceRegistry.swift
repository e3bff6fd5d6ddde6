/// Every service and workload the mesh knows at one revision, and which workloads serve which ports.
public struct ServiceRegistry: Sendable {
    public var services: [MeshService]
    public var workloads: [WorkloadInstance]
    private let byHost: [String: Int]

    public init(services: [MeshService], workloads: [WorkloadInstance]) {
        self.services = services.sorted { $0.hostname < $1.hostname }
        self.workloads = workloads.sorted { ($0.namespace, $0.name) < ($1.namespace, $1.name) }
        var index: [String: Int] = [:]
        for (position, service) in self.services.enumerated() where index[service.hostname] == nil { index[service.hostname] = position }
        self.byHost = index
    }

    public static let empty = ServiceRegistry(services: [], workloads: [])

    public func service(hostname: String) -> MeshService? { byHost[hostname].map { services[$0] } }

    /// The endpoints of one service port: workloads its selector picks in its namespace, on the
    /// port its `targetPort` names. A DNS ServiceEntry without workloads resolves its own host.
    public func endpoints(of service: MeshService, port number: Int) -> [ServiceEndpoint] {
        guard let port = service.port(number) else { return [] }
        var result: [ServiceEndpoint] = []
        for workload in workloads where workload.namespace == service.namespace && workload.ready {
            let selected: Bool
            switch workload.origin {
            case .serviceEntryEndpoint: selected = workload.labels["weft.io/service-entry"] == service.name
            default: selected = service.selector.map { !$0.isEmpty && workload.matches($0) } ?? false
            }
            guard selected, let target = targetPort(port, of: workload) else { continue }
            result.append(ServiceEndpoint(address: workload.address, port: target, labels: workload.labels, serviceAccount: workload.serviceAccount,
                                          locality: workload.locality, weight: workload.weight, workloadName: workload.name, namespace: workload.namespace,
                                          // Istio never applies auto mutual TLS to a MESH_EXTERNAL service's endpoints.
                                          hasSidecar: !service.meshExternal && (workload.origin == .sidecar || workload.labels["security.istio.io/tlsMode"] == "istio")))
        }
        if result.isEmpty && service.origin == .serviceEntry && (service.resolution == .dns || service.resolution == .dnsRoundRobin) && !service.hostname.hasPrefix("*") {
            result.append(ServiceEndpoint(address: service.hostname, port: number, labels: [:], serviceAccount: "", workloadName: service.hostname, namespace: service.namespace))
        }
        return result
    }

    private func targetPort(_ port: MeshService.Port, of workload: WorkloadInstance) -> Int? {
        if workload.origin == .serviceEntryEndpoint || workload.origin == .workloadEntry, let named = workload.namedPorts[port.name] { return named }
        switch port.targetPort {
        case .number(let number)?: return number
        case .name(let name)?: return workload.namedPorts[name]
        case nil: return port.number
        }
    }
}
