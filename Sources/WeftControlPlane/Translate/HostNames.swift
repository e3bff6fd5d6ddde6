import WeftAPI
import WeftModel

/// How Istio and Kubernetes DNS spell service host names.
enum HostNames {
    static let domain = "svc.cluster.local"

    /// A VirtualService or DestinationRule host written in `namespace`, as an FQDN: short names
    /// (no dots) become `name.namespace.svc.cluster.local`; anything else is taken as written.
    static func resolve(_ host: String, in namespace: String) -> String {
        host.contains(".") || host.hasPrefix("*") ? host : "\(host).\(namespace).\(domain)"
    }

    /// The names a caller in `callerNamespace` can use for a service: what resolv.conf search
    /// domains would make of `reviews`, `reviews.default`, `reviews.default.svc` and the FQDN.
    static func domains(of service: MeshService, from callerNamespace: String) -> [String] {
        guard service.origin == .kubernetes else { return [service.hostname] }
        var names = [service.hostname, "\(service.name).\(service.namespace).svc", "\(service.name).\(service.namespace)"]
        if service.namespace == callerNamespace { names.append(service.name) }
        return names
    }

    /// Whether a VirtualService host (resolved) applies to a service host name.
    static func matches(_ pattern: String, _ hostname: String) -> Bool {
        HostName(pattern).matches(HostName(hostname))
    }
}

/// Which DestinationRule governs a host for one proxy: Istio looks in the proxy's namespace,
/// then the service's, then the root namespace; an exact host beats a wildcard.
enum DestinationRuleLookup {
    static func rule(for service: MeshService, in view: ProxyView) -> DestinationRule? {
        let candidates = view.destinationRules.filter { HostNames.matches(HostNames.resolve($0.spec.host ?? "", in: $0.namespace), service.hostname) }
        for namespace in [view.proxy.namespace, service.namespace, view.rootNamespace] {
            let inNamespace = candidates.filter { $0.namespace == namespace }
            if let exact = inNamespace.first(where: { HostNames.resolve($0.spec.host ?? "", in: $0.namespace) == service.hostname }) { return exact }
            if let wildcard = inNamespace.first { return wildcard }
        }
        return nil
    }
}
