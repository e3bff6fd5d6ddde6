import WeftAPI

/// Istio's analyzer view of "which services exist": ServiceEntry hosts and Kubernetes Services
/// (as ServiceEntries with their ports), keyed by visibility scope and FQDN.
struct ServiceHostIndex {
    /// What a known host offers: its ports and the workload selector of its ServiceEntry.
    struct Entry {
        var ports: [Int]
        var workloadSelector: [String: String]
    }

    private(set) var entries: [String: Entry] = [:]

    init(_ context: AnalysisContext) {
        for (resource, entry) in context.all(ServiceEntry.self) {
            let value = Entry(ports: (entry.spec.ports ?? []).compactMap(\.number), workloadSelector: entry.spec.workloadSelector?.labels ?? [:])
            let exportTo = entry.spec.exportTo ?? []
            for host in entry.spec.hosts ?? [] {
                if exportTo.isEmpty {
                    entries[MeshHosts.scoped("*", namespace: resource.namespace, host: host)] = value
                    continue
                }
                for scope in exportTo {
                    switch scope {
                    case "*": entries[MeshHosts.scoped("*", namespace: resource.namespace, host: host)] = value
                    case ".": entries[MeshHosts.scoped(resource.namespace, namespace: resource.namespace, host: host)] = value
                    default: entries[MeshHosts.scoped(scope, namespace: resource.namespace, host: host)] = value
                    }
                    if scope == "*" { break }
                }
            }
        }
        for (resource, service) in context.all(Service.self) {
            let value = Entry(ports: (service.spec?.ports ?? []).compactMap(\.port), workloadSelector: [:])
            let annotation = resource.annotations["networking.istio.io/exportTo"] ?? ""
            let scopes = annotation.isEmpty ? ["*"] : annotation.split(separator: ",").map { $0 == "." ? resource.namespace : String($0) }
            for scope in scopes {
                entries[MeshHosts.scoped(scope, namespace: resource.namespace, host: resource.name)] = value
            }
        }
    }

    /// Istio's `GetDestinationHost`: the service a host names, seen from `namespace` with `exportTo`.
    func lookup(_ host: String, from namespace: String, exportTo: [String]) -> Entry? {
        if let entry = entries[MeshHosts.scoped("*", namespace: namespace, host: host)] { return entry }
        if exportTo.isEmpty {
            if let entry = entries[MeshHosts.scoped(namespace, namespace: namespace, host: host)] { return entry }
        } else {
            for scope in exportTo {
                let resolved = scope == "." ? namespace : scope
                if let entry = entries[MeshHosts.scoped(resolved, namespace: namespace, host: host)] { return entry }
            }
        }
        let hostSuffix = host.hasPrefix("*") ? String(host.dropFirst()) : host
        for (key, entry) in entries.sorted(by: { $0.key < $1.key }) {
            let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2, parts[1].hasPrefix("*"), parts[0] == "*" || parts[0] == namespace else { continue }
            if hostSuffix.hasSuffix(parts[1].dropFirst()) { return entry }
        }
        return nil
    }
}
