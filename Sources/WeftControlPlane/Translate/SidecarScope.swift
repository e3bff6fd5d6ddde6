import WeftAPI
import WeftModel

/// What a sidecar may reach, from the `Sidecar` resource that applies to it (Istio's SidecarScope):
/// the one in its namespace whose workload selector picks it, else its namespace's default (no
/// selector), else the root namespace's default. Its egress hosts (`namespace/dnsName`, with `*`
/// for any namespace, `.` for the proxy's own and `~` for none) choose the services and the
/// VirtualServices the proxy sees; services a chosen VirtualService routes to come along, as in
/// Istio. No Sidecar, or one without egress hosts, scopes nothing. Routers are never scoped.
struct SidecarScope: Sendable {
    /// One `namespace/dnsName` egress host.
    struct EgressHost: Sendable, Hashable {
        /// nil: any namespace (`*`).
        var namespace: String?
        var dnsName: HostName
    }

    /// The Sidecar resource in force (for `outboundTrafficPolicy`).
    let sidecar: Sidecar?
    /// nil: everything exported to the proxy is visible.
    let egressHosts: [EgressHost]?

    init(proxy: ProxyIdentity, index: ConfigIndex, rootNamespace: String) {
        let sidecar = Self.applicable(to: proxy, index: index, rootNamespace: rootNamespace)
        self.sidecar = sidecar
        let hosts = (sidecar?.spec.egress ?? []).flatMap { $0.hosts ?? [] }
        guard proxy.mode == .sidecar, !hosts.isEmpty else {
            egressHosts = nil
            return
        }
        egressHosts = hosts.compactMap { Self.parse($0, proxyNamespace: proxy.namespace) }
    }

    /// The Sidecar resource that applies to a proxy, as Istio picks it.
    static func applicable(to proxy: ProxyIdentity, index: ConfigIndex, rootNamespace: String) -> Sidecar? {
        let local = index.sidecarsByNamespace[proxy.namespace] ?? []
        if let selected = local.first(where: { sidecar in
            guard let selector = sidecar.spec.workloadSelector?.labels, !selector.isEmpty else { return false }
            return selector.allSatisfy { proxy.labels[$0.key] == $0.value }
        }) { return selected }
        if let namespaceDefault = local.first(where: { $0.spec.workloadSelector == nil }) { return namespaceDefault }
        return (index.sidecarsByNamespace[rootNamespace] ?? []).first { $0.spec.workloadSelector == nil }
    }

    /// `ns/host`; `.` is the proxy's namespace (also for the root namespace's default), `~` none.
    static func parse(_ text: String, proxyNamespace: String) -> EgressHost? {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return EgressHost(namespace: nil, dnsName: HostName(text)) }
        switch parts[0] {
        case "~": return nil
        case "*": return EgressHost(namespace: nil, dnsName: HostName(parts[1]))
        case ".": return EgressHost(namespace: proxyNamespace, dnsName: HostName(parts[1]))
        default: return EgressHost(namespace: parts[0], dnsName: HostName(parts[1]))
        }
    }

    /// Whether an egress host picks a name declared in `namespace`.
    private func allows(_ hostname: String, declaredIn namespace: String) -> Bool {
        guard let egressHosts else { return true }
        return egressHosts.contains { host in
            (host.namespace == nil || host.namespace == namespace) && host.dnsName.matches(HostName(hostname))
        }
    }

    /// The VirtualServices in scope: one of whose hosts an egress host of its namespace picks.
    func virtualServices(_ candidates: [VirtualService]) -> [VirtualService] {
        guard egressHosts != nil else { return candidates }
        return candidates.filter { service in
            (service.spec.hosts ?? []).contains { allows(HostNames.resolve($0, in: service.namespace), declaredIn: service.namespace) }
        }
    }

    /// The services in scope: picked by an egress host, or a destination of a VirtualService in scope.
    func services(_ candidates: [MeshService], routedBy virtualServices: [VirtualService]) -> [MeshService] {
        guard egressHosts != nil else { return candidates }
        var destinations = Set<String>()
        for service in virtualServices {
            let routes = (service.spec.http ?? []).flatMap { route -> [Destination?] in
                (route.route ?? []).map(\.destination) + [route.mirror] + (route.mirrors ?? []).map(\.destination)
            }
            for case let destination? in routes {
                if let host = destination.host { destinations.insert(HostNames.resolve(host, in: service.namespace)) }
            }
        }
        return candidates.filter { allows($0.hostname, declaredIn: $0.namespace) || destinations.contains($0.hostname) }
    }
}
