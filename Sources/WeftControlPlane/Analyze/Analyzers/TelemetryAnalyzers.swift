import WeftAPI

/// IST0157: access logging entries without providers (and no mesh default) are ignored.
struct TelemetryProviderAnalyzer: Analyzer {
    let name = "telemetry.ProviderAnalyzer"
    let summary = "Validates that providers in telemetry resource is valid"

    func analyze(_ context: AnalysisContext) -> [AnalysisMessage] {
        guard (context.meshConfig.defaultProviders?.accessLogging ?? []).isEmpty else { return [] }
        var messages: [AnalysisMessage] = []
        for (resource, telemetry) in context.all(Telemetry.self) {
            let ignored = (telemetry.spec.accessLogging ?? []).contains { ($0.providers ?? []).isEmpty && $0.disabled != true }
            if ignored {
                messages.append(AnalysisMessage(Messages.invalidTelemetryProvider, resource,
                    "The Telemetry \(resource.name) in namespace \"\(resource.namespace)\" with empty providers will be ignored."))
            }
        }
        return messages
    }
}

/// IST0101/IST0159: Telemetry selectors match pods in their namespace and do not overlap.
struct TelemetrySelectorAnalyzer: Analyzer {
    let name = "telemetry.SelectorAnalyzer"
    let summary = "Validates that telemetries that define a selector match at least one pod, and that there aren't multiple telemetry resources that select overlapping pods"

    func analyze(_ context: AnalysisContext) -> [AnalysisMessage] {
        var messages: [AnalysisMessage] = []
        var podsToTelemetries: [String: [AnalyzedResource]] = [:]
        var order: [String] = []
        for (resource, telemetry) in context.all(Telemetry.self) {
            guard let labels = telemetry.spec.selector?.matchLabels, !labels.isEmpty else { continue }
            let selector = LabelMatcher(labels)
            var found = false
            for (pod, _) in context.pods where pod.namespace == resource.namespace && selector.matches(pod.labels) {
                found = true
                if podsToTelemetries[pod.fullName] == nil { order.append(pod.fullName) }
                podsToTelemetries[pod.fullName, default: []].append(resource)
            }
            if !found {
                messages.append(AnalysisMessage(Messages.referencedResourceNotFound, resource, "Referenced selector not found: \"\(selector.description)\""))
            }
        }
        for pod in order {
            let telemetries = podsToTelemetries[pod] ?? []
            guard telemetries.count > 1 else { continue }
            let (namespace, podName) = MeshHosts.shortOrFullName(pod, namespace: "")
            for resource in telemetries {
                messages.append(AnalysisMessage(Messages.conflictingTelemetryWorkloadSelectors, resource,
                    "The Telemetries \(goList(telemetries.map(\.fullName))) in namespace \"\(namespace)\" select the same workload pod \"\(podName)\", which can lead to undefined behavior."))
            }
        }
        return messages
    }
}

/// IST0160: more than one Telemetry without a selector in a namespace.
struct TelemetryDefaultSelectorAnalyzer: Analyzer {
    let name = "telemetry.DefaultSelectorAnalyzer"
    let summary = "Validates that there aren't multiple telemetry resources that have no selector"

    func analyze(_ context: AnalysisContext) -> [AnalysisMessage] {
        var byNamespace: [String: [AnalyzedResource]] = [:]
        var order: [String] = []
        for (resource, telemetry) in context.all(Telemetry.self) where telemetry.spec.selector == nil && telemetry.spec.targetRef == nil && (telemetry.spec.targetRefs ?? []).isEmpty {
            if byNamespace[resource.namespace] == nil { order.append(resource.namespace) }
            byNamespace[resource.namespace, default: []].append(resource)
        }
        var messages: [AnalysisMessage] = []
        for namespace in order {
            let list = byNamespace[namespace] ?? []
            guard list.count > 1 else { continue }
            for resource in list {
                messages.append(AnalysisMessage(Messages.multipleTelemetriesWithoutWorkloadSelectors, resource,
                    "The Telemetries \(goList(list.map(\.fullName))) in namespace \"\(namespace)\" have no workload selector, which can lead to undefined behavior."))
            }
        }
        return messages
    }
}

/// IST0002: tracing through the Lightstep provider, which Istio deprecated for OpenTelemetry.
struct TelemetryLightstepAnalyzer: Analyzer {
    let name = "telemetry.LightstepAnalyzer"
    let summary = "Checks for the deprecated Lightstep tracing provider"

    func analyze(_ context: AnalysisContext) -> [AnalysisMessage] {
        let lightstep = Set((context.meshConfig.extensionProviders ?? []).filter { $0.lightstep != nil }.compactMap(\.name))
        guard !lightstep.isEmpty else { return [] }
        var messages: [AnalysisMessage] = []
        for (resource, telemetry) in context.all(Telemetry.self) {
            let uses = (telemetry.spec.tracing ?? []).contains { ($0.providers ?? []).contains { lightstep.contains($0.name ?? "") } }
            if uses {
                messages.append(AnalysisMessage(Messages.deprecated, resource, "Deprecated: The Lightstep provider is deprecated, please migrate to OpenTelemetry provider."))
            }
        }
        return messages
    }
}
