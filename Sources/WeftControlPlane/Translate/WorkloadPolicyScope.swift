import WeftAPI
import WeftModel

/// Istio's scoping of the `security.istio.io` policies (AuthorizationPolicy, RequestAuthentication):
/// a `targetRef` naming a Service applies to the workloads it selects, in the policy's namespace;
/// a `selector` to the matching workloads of the policy's namespace (or of every namespace, from
/// the root namespace); neither to every workload of the namespace (or of the mesh, from the root).
enum WorkloadPolicyScope {
    static func applies(namespace: String, selector: WorkloadSelector?, targetRefs: [PolicyTargetReference], to proxy: ProxyIdentity,
                        rootNamespace: String, services: [MeshService]) -> Bool {
        if !targetRefs.isEmpty {
            guard namespace == proxy.namespace else { return false }
            return targetRefs.contains { target in
                guard target.kind == "Service", let name = target.name else { return false }
                return services.contains { service in
                    service.origin == .kubernetes && service.namespace == namespace && service.name == name
                        && (service.selector.map { !$0.isEmpty && $0.allSatisfy { proxy.labels[$0.key] == $0.value } } ?? false)
                }
            }
        }
        if let selector = selector?.matchLabels, !selector.isEmpty {
            guard namespace == proxy.namespace || namespace == rootNamespace else { return false }
            return selector.allSatisfy { proxy.labels[$0.key] == $0.value }
        }
        return namespace == proxy.namespace || namespace == rootNamespace
    }
}
