import WeftAPI
import WeftModel

/// The part of the service registry config declares: services from Kubernetes Services and
/// ServiceEntries, workloads from ServiceEntry endpoints and WorkloadEntries (`ConfigIndex` keeps
/// them per revision; `MeshState` adds the workloads sidecars registered).
public enum RegistryBuilder {
    /// The services config declares: Kubernetes Services and each host of a ServiceEntry.
    /// Each gets its virtual IPs (`ServiceAddresses`); a headless Service none.
    static func services(_ resources: [any APIResource]) -> [MeshService] {
        var declared: [String: [String]] = [:]
        let services = resources.flatMap { resource -> [MeshService] in
            switch resource {
            case let service as Service:
                let mesh = meshService(service)
                let spec = service.spec
                let ips = (spec?.clusterIPs ?? []) + [spec?.clusterIP].compactMap { $0 }
                if ips.contains("None") {
                    declared[mesh.hostname] = []
                } else if case let addresses = ips.filter(ServiceAddresses.isIPv4), !addresses.isEmpty {
                    declared[mesh.hostname] = Array(Set(addresses)).sorted()
                }
                return [mesh]
            case let entry as ServiceEntry:
                let entries = meshServices(entry)
                let addresses = (entry.spec.addresses ?? []).filter(ServiceAddresses.isIPv4)
                if !addresses.isEmpty { for mesh in entries { declared[mesh.hostname, default: []].append(contentsOf: addresses) } }
                return entries
            default: return []
            }
        }
        return ServiceAddresses.assign(services, declared: declared)
    }

    /// The workloads config declares: ServiceEntry endpoints and WorkloadEntries.
    static func workloads(_ resources: [any APIResource]) -> [WorkloadInstance] {
        var workloads: [WorkloadInstance] = []
        for resource in resources {
            switch resource {
            case let entry as ServiceEntry:
                for (index, endpoint) in (entry.spec.endpoints ?? []).enumerated() {
                    var labels = endpoint.labels ?? [:]
                    labels["weft.io/service-entry"] = entry.name
                    workloads.append(WorkloadInstance(name: "\(entry.name)-endpoint-\(index)", namespace: entry.namespace, labels: labels,
                        serviceAccount: endpoint.serviceAccount ?? "default", address: endpoint.address ?? "", namedPorts: endpoint.ports ?? [:],
                        locality: endpoint.locality ?? "", weight: endpoint.weight ?? 1, origin: .serviceEntryEndpoint))
                }
            case let entry as WorkloadEntry:
                workloads.append(WorkloadInstance(name: entry.name, namespace: entry.namespace, labels: entry.spec.labels ?? [:],
                    serviceAccount: entry.spec.serviceAccount ?? "default", address: entry.spec.address ?? "", namedPorts: entry.spec.ports ?? [:],
                    locality: entry.spec.locality ?? Locality.from(labels: entry.spec.labels ?? [:]).description, weight: entry.spec.weight ?? 1, origin: .workloadEntry))
            default:
                break
            }
        }
        return workloads
    }

    static func meshService(_ service: Service) -> MeshService {
        let ports = (service.spec?.ports ?? []).compactMap { port -> MeshService.Port? in
            guard let number = port.port else { return nil }
            let target: MeshService.TargetPort? = port.targetPort.map {
                switch $0 {
                case .int(let value): return .number(value)
                case .string(let name): return Int(name).map(MeshService.TargetPort.number) ?? .name(name)
                }
            }
            return MeshService.Port(name: port.name ?? "", number: number, targetPort: target, protocolName: protocolName(name: port.name, appProtocol: port.appProtocol))
        }
        let annotation = service.metadata.annotations?["networking.istio.io/exportTo"] ?? ""
        let exportTo = annotation.isEmpty ? ["*"] : annotation.split(separator: ",").map { $0 == "." ? service.namespace : String($0) }
        return MeshService(hostname: "\(service.name).\(service.namespace).svc.cluster.local", namespace: service.namespace, name: service.name,
                           origin: .kubernetes, ports: ports, selector: service.spec?.selector, exportTo: exportTo)
    }

    static func meshServices(_ entry: ServiceEntry) -> [MeshService] {
        let ports = (entry.spec.ports ?? []).compactMap { port -> MeshService.Port? in
            guard let number = port.number else { return nil }
            return MeshService.Port(name: port.name ?? "", number: number, targetPort: port.targetPort.map(MeshService.TargetPort.number), protocolName: port.protocol?.uppercased())
        }
        let resolution: MeshService.Resolution
        switch entry.spec.resolution ?? .NONE {
        case .NONE: resolution = .none
        case .STATIC: resolution = .staticAddresses
        case .DNS: resolution = .dns
        case .DNS_ROUND_ROBIN: resolution = .dnsRoundRobin
        }
        let exportTo = (entry.spec.exportTo ?? []).isEmpty ? ["*"] : (entry.spec.exportTo ?? []).map { $0 == "." ? entry.namespace : $0 }
        return (entry.spec.hosts ?? []).map { host in
            var service = MeshService(hostname: host, namespace: entry.namespace, name: entry.name, origin: .serviceEntry, ports: ports,
                                      selector: entry.spec.workloadSelector?.labels, resolution: resolution, exportTo: exportTo,
                                      meshExternal: (entry.spec.location ?? .MESH_EXTERNAL) == .MESH_EXTERNAL)
            service.subjectAltNames = entry.spec.subjectAltNames ?? []
            return service
        }
    }

    static func protocolName(name: String?, appProtocol: String?) -> String? {
        if let appProtocol, !appProtocol.isEmpty { return appProtocol.uppercased() }
        guard let name = name?.lowercased(), !name.isEmpty else { return nil }
        let prefix = name.split(separator: "-", maxSplits: 1).first.map(String.init) ?? name
        return Protocols.isKnown(prefix) ? prefix.uppercased() : nil
    }
}
