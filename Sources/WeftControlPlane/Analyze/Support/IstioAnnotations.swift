/// Istio's annotations (istio.io/api `annotation` package): where each may be written, the
/// value it takes, and whether it is deprecated. `AnnotationsAnalyzer` checks resources against it.
enum IstioAnnotations {
    /// What values an annotation takes.
    enum ValueType { case string, int, bool, any }

    /// One annotation's rules.
    struct Entry {
        var name: String
        /// Kinds it belongs on; empty means any kind.
        var kinds: Set<String>
        var type: ValueType = .string
        var deprecated = false
    }

    static let pod: Set<String> = ["Pod"]

    static let entries: [Entry] = [
        Entry(name: "sidecar.istio.io/inject", kinds: ["Pod"], type: .bool),
        Entry(name: "sidecar.istio.io/status", kinds: ["Pod"]),
        Entry(name: "sidecar.istio.io/interceptionMode", kinds: ["Pod"]),
        Entry(name: "sidecar.istio.io/proxyImage", kinds: pod),
        Entry(name: "sidecar.istio.io/proxyImageType", kinds: pod),
        Entry(name: "sidecar.istio.io/proxyCPU", kinds: pod),
        Entry(name: "sidecar.istio.io/proxyCPULimit", kinds: pod),
        Entry(name: "sidecar.istio.io/proxyMemory", kinds: pod),
        Entry(name: "sidecar.istio.io/proxyMemoryLimit", kinds: pod),
        Entry(name: "sidecar.istio.io/logLevel", kinds: pod),
        Entry(name: "sidecar.istio.io/componentLogLevel", kinds: pod),
        Entry(name: "sidecar.istio.io/agentLogLevel", kinds: pod),
        Entry(name: "sidecar.istio.io/bootstrapOverride", kinds: pod),
        Entry(name: "sidecar.istio.io/discoveryAddress", kinds: pod),
        Entry(name: "sidecar.istio.io/enableCoreDump", kinds: pod, type: .bool),
        Entry(name: "sidecar.istio.io/extraStatTags", kinds: pod),
        Entry(name: "sidecar.istio.io/rewriteAppHTTPProbers", kinds: pod, type: .bool),
        Entry(name: "sidecar.istio.io/statsHistogramBuckets", kinds: pod),
        Entry(name: "sidecar.istio.io/userVolume", kinds: pod),
        Entry(name: "sidecar.istio.io/userVolumeMount", kinds: pod),
        Entry(name: "sidecar.istio.io/nativeSidecar", kinds: pod, type: .bool),
        Entry(name: "sidecar.istio.io/statsInclusionPrefixes", kinds: pod, deprecated: true),
        Entry(name: "sidecar.istio.io/statsInclusionSuffixes", kinds: pod, deprecated: true),
        Entry(name: "sidecar.istio.io/statsInclusionRegexps", kinds: pod, deprecated: true),
        Entry(name: "sidecar.istio.io/statsFlushInterval", kinds: pod),
        Entry(name: "sidecar.istio.io/statsCompression", kinds: pod),
        Entry(name: "sidecar.istio.io/dnsCapture", kinds: pod, type: .bool, deprecated: true),
        Entry(name: "proxy.istio.io/config", kinds: ["Pod"]),
        Entry(name: "proxy.istio.io/overrides", kinds: pod),
        Entry(name: "traffic.sidecar.istio.io/includeOutboundIPRanges", kinds: pod),
        Entry(name: "traffic.sidecar.istio.io/excludeOutboundIPRanges", kinds: pod),
        Entry(name: "traffic.sidecar.istio.io/includeInboundPorts", kinds: pod),
        Entry(name: "traffic.sidecar.istio.io/excludeInboundPorts", kinds: pod),
        Entry(name: "traffic.sidecar.istio.io/includeOutboundPorts", kinds: pod),
        Entry(name: "traffic.sidecar.istio.io/excludeOutboundPorts", kinds: pod),
        Entry(name: "traffic.sidecar.istio.io/excludeInterfaces", kinds: pod),
        Entry(name: "traffic.sidecar.istio.io/kubevirtInterfaces", kinds: pod, deprecated: true),
        Entry(name: "readiness.status.sidecar.istio.io/applicationPorts", kinds: pod),
        Entry(name: "readiness.status.sidecar.istio.io/initialDelaySeconds", kinds: pod, type: .int),
        Entry(name: "readiness.status.sidecar.istio.io/periodSeconds", kinds: pod, type: .int),
        Entry(name: "readiness.status.sidecar.istio.io/failureThreshold", kinds: pod, type: .int),
        Entry(name: "status.sidecar.istio.io/port", kinds: pod, type: .int),
        Entry(name: "prometheus.istio.io/merge-metrics", kinds: pod, type: .bool),
        Entry(name: "inject.istio.io/templates", kinds: pod),
        Entry(name: "ambient.istio.io/redirection", kinds: pod),
        Entry(name: "ambient.istio.io/bypass-inbound-capture", kinds: pod, type: .bool),
        Entry(name: "networking.istio.io/exportTo", kinds: ["Service"]),
        Entry(name: "networking.istio.io/traffic-distribution", kinds: ["Service", "ServiceEntry"]),
        Entry(name: "networking.istio.io/service-type", kinds: ["Gateway"]),
        Entry(name: "networking.istio.io/address-type", kinds: ["ServiceEntry", "Service"]),
        Entry(name: "istio.io/dry-run", kinds: ["AuthorizationPolicy"], type: .bool),
        Entry(name: "istio.io/rev", kinds: []),
        Entry(name: "istio.io/use-waypoint", kinds: []),
        Entry(name: "istio.io/use-waypoint-namespace", kinds: []),
        Entry(name: "istio.io/dataplane-mode", kinds: []),
        Entry(name: "istio.io/data-plane-mode", kinds: []),
        Entry(name: "topology.istio.io/controlPlaneClusters", kinds: ["Namespace"]),
        Entry(name: "gateway.istio.io/controller-version", kinds: []),
        Entry(name: "gateway.istio.io/service-account", kinds: []),
        Entry(name: "gateway.istio.io/name-override", kinds: []),
        Entry(name: "gateway.istio.io/defaults-for-class", kinds: []),
        Entry(name: "galley.istio.io/analyze-suppress", kinds: []),
        Entry(name: "kubernetes.io/ingress.class", kinds: ["Ingress"]),
        Entry(name: "alpha.istio.io/canonical-serviceaccounts", kinds: ["Service"], deprecated: true),
        Entry(name: "alpha.istio.io/kubernetes-serviceaccounts", kinds: ["Service"], deprecated: true),
        Entry(name: "sidecar.istio.io/agentLogLevel", kinds: pod),
        Entry(name: "policy.istio.io/check", kinds: pod, deprecated: true),
        Entry(name: "policy.istio.io/checkRetries", kinds: pod, deprecated: true),
        Entry(name: "policy.istio.io/checkBaseRetryWaitTime", kinds: pod, deprecated: true),
        Entry(name: "policy.istio.io/checkMaxRetryWaitTime", kinds: pod, deprecated: true),
        Entry(name: "policy.istio.io/lang", kinds: pod, deprecated: true),
        Entry(name: "istio.io/connect-strategy", kinds: []),
    ]

    static let byName: [String: Entry] = Dictionary(entries.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })

    /// Whether a key is in Istio's annotation space (and so must be a known annotation).
    static func isIstio(_ key: String) -> Bool {
        guard let slash = key.firstIndex(of: "/") else { return false }
        let domain = key[..<slash]
        return domain == "istio.io" || domain.hasSuffix(".istio.io") || key == "kubernetes.io/ingress.class"
    }
}

/// IST0107/IST0108/IST0125/IST0135: Istio annotations that are unknown, misplaced, malformed or deprecated.
struct AnnotationsAnalyzer: Analyzer {
    let name = "annotations.K8sAnalyzer"
    let summary = "Checks for misplaced and invalid Istio annotations in Kubernetes resources"

    func analyze(_ context: AnalysisContext) -> [AnalysisMessage] {
        var messages: [AnalysisMessage] = []
        for resource in context.input.resources where ["Pod", "Service", "Namespace", "Deployment"].contains(resource.kind) {
            if resource.kind == "Pod" && resource.name.hasSuffix("-workload") && resource.annotations["sidecar.istio.io/status"] == "weft-run" { continue }
            for (key, value) in resource.annotations.sorted(by: { $0.key < $1.key }) where IstioAnnotations.isIstio(key) {
                if key.hasPrefix("ambient.istio.io/") || key == "istio.io/rev" { continue }
                guard let entry = IstioAnnotations.byName[key] else {
                    messages.append(AnalysisMessage(Messages.unknownAnnotation, resource, "Unknown annotation: \(key)"))
                    continue
                }
                if entry.deprecated {
                    messages.append(AnalysisMessage(Messages.deprecatedAnnotation, resource, "Annotation \"\(key)\" has been deprecated and may not work in future Istio versions."))
                }
                if !entry.kinds.isEmpty && !entry.kinds.contains(resource.kind) {
                    messages.append(AnalysisMessage(Messages.misplacedAnnotation, resource, "Misplaced annotation: \(key) can only be applied to \(entry.kinds.sorted().joined(separator: ", "))"))
                    continue
                }
                switch entry.type {
                case .int where Int(value) == nil:
                    messages.append(AnalysisMessage(Messages.invalidAnnotation, resource, "Invalid annotation \(key): \"\(value)\" is not an integer"))
                case .bool where Bool(value.lowercased()) == nil:
                    messages.append(AnalysisMessage(Messages.invalidAnnotation, resource, "Invalid annotation \(key): \"\(value)\" is not a boolean"))
                default:
                    break
                }
            }
        }
        return messages
    }
}
