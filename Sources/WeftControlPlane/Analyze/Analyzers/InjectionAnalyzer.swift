import Foundation
import WeftAPI

/// IST0102/IST0103/IST0123/IST0148: which namespaces get a proxy, and pods that should have one
/// and do not. In Weft the "injection" is `weft run` starting the sidecar; the labels that turn
/// it on and off are Istio's (`istio-injection`, `istio.io/rev`, `sidecar.istio.io/inject`).
struct InjectionAnalyzer: Analyzer {
    let name = "injection.Analyzer"
    let summary = "Checks that namespaces and workloads are set up to run with a sidecar"
    static let systemNamespaces: Set<String> = ["kube-system", "kube-public", "kube-node-lease", "istio-system", "local-path-storage"]

    func analyze(_ context: AnalysisContext) -> [AnalysisMessage] {
        var messages: [AnalysisMessage] = []
        let byDefault = enableNamespacesByDefault(context)
        var injected: Set<String> = []
        for (resource, _) in context.namespaces where !Self.systemNamespaces.contains(resource.name) {
            let labels = resource.labels
            var kinds: [String] = []
            if let value = labels["istio-injection"], value != "disabled" { kinds.append("istio-injection") }
            if labels["istio.io/rev"] != nil { kinds.append("istio.io/rev") }
            if labels["istio.io/dataplane-mode"] == "ambient" { kinds.append("istio.io/dataplane-mode") }
            if kinds.count > 1 {
                messages.append(AnalysisMessage(Messages.namespaceMultipleInjectionLabels, resource,
                    "The namespace has more than one type of injection labels \(goList(kinds)), which may lead to undefined behavior. Make sure only one injection label exists."))
                continue
            }
            if labels["istio-injection"] == "enabled" || labels["istio.io/rev"] != nil { injected.insert(resource.name) }
            if labels["istio-injection"] == nil && labels["istio.io/rev"] == nil && labels["istio.io/dataplane-mode"] != "ambient" {
                if byDefault {
                    injected.insert(resource.name)
                    messages.append(AnalysisMessage(Messages.namespaceInjectionEnabledByDefault, resource,
                        "The namespace \(resource.name) is enabled for Istio injection, as Istio is installed with enableNamespacesByDefault as true."))
                } else {
                    messages.append(AnalysisMessage(Messages.namespaceNotInjected, resource,
                        "The namespace is not enabled for Istio injection. Run 'kubectl label namespace \(resource.name) istio-injection=enabled' to enable it, or 'kubectl label namespace \(resource.name) istio-injection=disabled' to explicitly mark it as not needing injection."))
                }
            }
        }
        for (pod, spec) in context.pods where injected.contains(pod.namespace) {
            if spec.spec?.hostNetwork == true { continue }
            if pod.labels["sidecar.istio.io/inject"] == "false" || pod.annotations["sidecar.istio.io/inject"] == "false" { continue }
            if pod.annotations["sidecar.istio.io/status"] != nil { continue }
            let containers = (spec.spec?.containers ?? []) + (spec.spec?.initContainers ?? [])
            if !containers.contains(where: { $0.name == "istio-proxy" }) {
                messages.append(AnalysisMessage(Messages.podMissingProxy, pod,
                    "The pod \(pod.name) is missing the Istio proxy. This can often be resolved by restarting or redeploying the workload."))
            }
        }
        return messages
    }

    /// `sidecarInjectorWebhook.enableNamespacesByDefault` from the istio-sidecar-injector ConfigMap's values.
    private func enableNamespacesByDefault(_ context: AnalysisContext) -> Bool {
        for (resource, map) in context.all(ConfigMap.self) where resource.name.hasPrefix("istio-sidecar-injector") {
            guard let values = map.data?["values"], let object = try? JSONSerialization.jsonObject(with: Data(values.utf8)) as? [String: Any],
                  let webhook = object["sidecarInjectorWebhook"] as? [String: Any] else { continue }
            if webhook["enableNamespacesByDefault"] as? Bool == true { return true }
        }
        return false
    }
}
