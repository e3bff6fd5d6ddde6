import WeftAPI

/// IST0128/IST0129: SIMPLE or MUTUAL TLS without a CA bundle does not verify the server.
struct CaCertificateAnalyzer: Analyzer {
    let name = "destinationrule.CaCertificateAnalyzer"
    let summary = "Checks if caCertificates is set when TLS mode is SIMPLE/MUTUAL"

    func analyze(_ context: AnalysisContext) -> [AnalysisMessage] {
        var messages: [AnalysisMessage] = []
        for (resource, rule) in context.all(DestinationRule.self) {
            let hasSelector = rule.spec.workloadSelector != nil
            let host = rule.spec.host ?? ""
            if let tls = rule.spec.trafficPolicy?.tls, Self.unverified(tls, hasSelector: hasSelector) {
                messages.append(AnalysisMessage(Messages.noServerCertificateVerificationDestinationLevel, resource,
                    "DestinationRule \(resource.fullName) in namespace \(resource.namespace) has TLS mode set to \(tls.mode?.rawValue ?? "") but no caCertificates are set to validate server identity for host: \(host)"))
            }
            for port in rule.spec.trafficPolicy?.portLevelSettings ?? [] {
                guard let tls = port.tls, Self.unverified(tls, hasSelector: hasSelector) else { continue }
                messages.append(AnalysisMessage(Messages.noServerCertificateVerificationPortLevel, resource,
                    "DestinationRule \(resource.fullName) in namespace \(resource.namespace) has TLS mode set to \(tls.mode?.rawValue ?? "") but no caCertificates are set to validate server identity for host: \(host) at port number:\(port.port?.number ?? 0)"))
            }
        }
        return messages
    }

    /// A credential read by a selected workload carries its own CA, so only then is a missing bundle fine.
    static func unverified(_ tls: ClientTLSSettings, hasSelector: Bool) -> Bool {
        guard tls.mode == .SIMPLE || tls.mode == .MUTUAL else { return false }
        guard (tls.caCertificates ?? "").isEmpty else { return false }
        return !(hasSelector && !(tls.credentialName ?? "").isEmpty)
    }
}

/// IST0173/IST0174: a DestinationRule's host is a known service, and each subset selects a pod.
struct PodNotSelectedAnalyzer: Analyzer {
    let name = "destinationrule.PodNotSelectedAnalyzer"
    let summary = "Checks if pods are selected by subsets in destination rules"
    static let topologyLabels = ["topology.kubernetes.io/region", "topology.kubernetes.io/zone", "topology.istio.io/subzone"]

    func analyze(_ context: AnalysisContext) -> [AnalysisMessage] {
        let services = ServiceHostIndex(context)
        let podLabels: [[String: String]] = context.pods.map { pod, spec in
            var labels = pod.labels
            if let node = spec.spec?.nodeName, !node.isEmpty, let nodeLabels = context.input.nodeLabels[node] {
                for key in Self.topologyLabels { if let value = nodeLabels[key], !value.isEmpty { labels[key] = value } }
                labels["kubernetes.io/hostname"] = node
            }
            return labels
        }
        var messages: [AnalysisMessage] = []
        for (resource, rule) in context.all(DestinationRule.self) {
            let host = rule.spec.host ?? ""
            guard let service = services.lookup(host, from: resource.namespace, exportTo: rule.spec.exportTo ?? []) else {
                messages.append(AnalysisMessage(Messages.unknownDestinationRuleHost, resource,
                    "The host \(host) defined in the DestinationRule does not match any services in the mesh."))
                continue
            }
            for subset in rule.spec.subsets ?? [] {
                let selector = LabelMatcher(service.workloadSelector.merging(subset.labels ?? [:]) { _, new in new })
                if !podLabels.contains(where: selector.matches) {
                    messages.append(AnalysisMessage(Messages.destinationRuleSubsetNotSelectPods, resource,
                        "The Subset \(subset.name ?? "") defined in the DestinationRule does not select any pods. Which may lead to 503 UH (NoHealthyUpstream)."))
                }
            }
        }
        return messages
    }
}
