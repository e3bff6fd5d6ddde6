import WeftAPI

/// IST0101/IST0110/IST0111/IST0167: Sidecar selectors match pods, do not overlap, at most one
/// Sidecar per namespace has no selector, and Sidecars in ambient namespaces have no effect.
struct SidecarSelectorAnalyzer: Analyzer {
    let name = "sidecar.SelectorAnalyzer"
    let summary = "Validates that sidecars that define a workload selector match at least one pod, and that there aren't multiple sidecar resources that select overlapping pods"

    func analyze(_ context: AnalysisContext) -> [AnalysisMessage] {
        var messages: [AnalysisMessage] = []
        var podsToSidecars: [String: [AnalyzedResource]] = [:]
        var podOrder: [String] = []
        var selectorless: [String: [AnalyzedResource]] = [:]
        var namespaceOrder: [String] = []
        for (resource, sidecar) in context.all(Sidecar.self) {
            let ambientNamespace = Ambient.isAmbient(namespaceLabels: context.namespaceLabels(resource.namespace))
            guard let labels = sidecar.spec.workloadSelector?.labels, !labels.isEmpty else {
                if sidecar.spec.workloadSelector == nil {
                    if selectorless[resource.namespace] == nil { namespaceOrder.append(resource.namespace) }
                    selectorless[resource.namespace, default: []].append(resource)
                }
                if ambientNamespace {
                    messages.append(AnalysisMessage(Messages.ineffectivePolicy, resource, "The policy has no impact: namespace is in ambient mode, the Sidecar resource will not take effect."))
                }
                continue
            }
            let selector = LabelMatcher(labels)
            var found = false
            for (pod, _) in context.pods where pod.namespace == resource.namespace && selector.matches(pod.labels) {
                found = true
                let key = pod.fullName
                if podsToSidecars[key] == nil { podOrder.append(key) }
                podsToSidecars[key, default: []].append(resource)
                if Ambient.isAmbient(pod: pod, namespaceLabels: context.namespaceLabels(pod.namespace)) {
                    messages.append(AnalysisMessage(Messages.ineffectivePolicy, resource, "The policy has no impact: selected pod \(pod.name) is in ambient mode, the Sidecar resource will not take effect."))
                }
            }
            if !found {
                messages.append(AnalysisMessage(Messages.referencedResourceNotFound, resource, "Referenced selector not found: \"\(selector.description)\""))
            }
        }
        for podKey in podOrder {
            let sidecars = podsToSidecars[podKey] ?? []
            guard sidecars.count > 1 else { continue }
            let (namespace, podName) = MeshHosts.shortOrFullName(podKey, namespace: "")
            for resource in sidecars {
                messages.append(AnalysisMessage(Messages.conflictingSidecarWorkloadSelectors, resource,
                    "The Sidecars \(goList(sidecars.map(\.fullName))) in namespace \"\(namespace)\" select the same workload pod \"\(podName)\", which can lead to undefined behavior."))
            }
        }
        for namespace in namespaceOrder {
            let sidecars = selectorless[namespace] ?? []
            guard sidecars.count > 1 else { continue }
            for resource in sidecars {
                messages.append(AnalysisMessage(Messages.multipleSidecarsWithoutWorkloadSelectors, resource,
                    "The Sidecars \(goList(sidecars.map(\.fullName))) in namespace \"\(namespace)\" have no workload selector, which can lead to undefined behavior."))
            }
        }
        return messages
    }
}

/// Istio's ambient mode markers: Weft has no ambient data plane, so policies for it have no effect.
enum Ambient {
    static func isAmbient(namespaceLabels labels: [String: String]) -> Bool {
        labels["istio.io/dataplane-mode"] == "ambient" && labels["istio-injection"] == nil && labels["istio.io/rev"] == nil
    }

    static func isAmbient(pod: AnalyzedResource, namespaceLabels: [String: String]) -> Bool {
        pod.annotations["ambient.istio.io/redirection"] == "enabled"
    }
}

/// Whether a pod has (or will get) a proxy: Istio's `PodInMesh`.
enum MeshMembership {
    static func inMesh(_ pod: AnalyzedResource, spec: Pod, namespaceLabels: [String: String]) -> Bool {
        if pod.annotations["sidecar.istio.io/status"] != nil { return true }
        if pod.annotations["ambient.istio.io/redirection"] == "enabled" { return true }
        let containers = (spec.spec?.containers ?? []) + (spec.spec?.initContainers ?? [])
        if containers.contains(where: { $0.name == "istio-proxy" }) { return true }
        let optOut = pod.labels["sidecar.istio.io/inject"] == "false" || pod.annotations["sidecar.istio.io/inject"] == "false"
        if optOut { return false }
        if pod.labels["sidecar.istio.io/inject"] == "true" { return true }
        return namespaceLabels["istio-injection"] == "enabled" || namespaceLabels["istio.io/rev"] != nil
    }
}
