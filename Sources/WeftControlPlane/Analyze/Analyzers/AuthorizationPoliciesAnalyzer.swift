import WeftAPI

/// IST0127/IST0101: an AuthorizationPolicy selects workloads in the mesh, and the namespaces
/// its rules name exist.
struct AuthorizationPoliciesAnalyzer: Analyzer {
    let name = "auth.AuthorizationPoliciesAnalyzer"
    let summary = "Checks the validity of authorization policies"

    func analyze(_ context: AnalysisContext) -> [AnalysisMessage] {
        var podLabels: [String: [[String: String]]] = [:]
        for (pod, spec) in context.pods where MeshMembership.inMesh(pod, spec: spec, namespaceLabels: context.namespaceLabels(pod.namespace)) {
            podLabels[pod.namespace, default: []].append(pod.labels)
        }
        let namespaceNames = context.namespaces.map(\.0.name)
        var messages: [AnalysisMessage] = []
        for (resource, policy) in context.all(AuthorizationPolicy.self) {
            let selector = policy.spec.selector.map { LabelMatcher($0.matchLabels) }
            if resource.namespace == context.rootNamespace {
                if let selector, !podLabels.values.joined().contains(where: selector.matches) {
                    messages.append(noWorkloads(resource, selector.description))
                }
            } else if let selector {
                if !(podLabels[resource.namespace] ?? []).contains(where: selector.matches) {
                    messages.append(noWorkloads(resource, selector.description))
                }
            } else if (podLabels[resource.namespace] ?? []).isEmpty {
                messages.append(noWorkloads(resource, ""))
            }
            for rule in policy.spec.rules ?? [] {
                for from in rule.from ?? [] {
                    let source = from.source
                    for expression in (source?.namespaces ?? []) + (source?.notNamespaces ?? []) {
                        if !namespaceNames.contains(where: { Self.namespace($0, matches: expression) }) {
                            messages.append(AnalysisMessage(Messages.referencedResourceNotFound, resource, "Referenced namespace not found: \"\(expression)\""))
                        }
                    }
                }
            }
        }
        return messages
    }

    private func noWorkloads(_ resource: AnalyzedResource, _ labels: String) -> AnalysisMessage {
        AnalysisMessage(Messages.noMatchingWorkloadsFound, resource, "No matching workloads for this resource with the following labels: \(labels)")
    }

    /// `*`, `prefix*`, `*suffix` or an exact name (case-insensitive), as authorization matches namespaces.
    static func namespace(_ name: String, matches expression: String) -> Bool {
        if expression == "*" { return true }
        if expression.hasPrefix("*") { return name.hasSuffix(expression.dropFirst()) }
        if expression.hasSuffix("*") { return name.hasPrefix(expression.dropLast()) }
        return name.lowercased() == expression.lowercased()
    }
}
