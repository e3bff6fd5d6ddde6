import WeftTelemetry

extension Validator {
    /// IstioOperator: MeshConfig is checked in full; Kubernetes-only component settings are warnings,
    /// since Weft runs processes on hosts, not pods.
    mutating func validateIstioOperator(_ resource: IstioOperator) {
        let path = FieldPath([.key("spec")])
        guard let spec = resource.spec else { return }
        if let profile = spec.profile, !["default", "demo", "minimal", "empty", "preview", "remote", "ambient", "openshift", "openshift-ambient", "stable"].contains(profile) {
            warning(path / "profile", "unknown profile \"\(profile)\"; Weft reads only the settings written in this resource")
        }
        if let mesh = spec.meshConfig { validateMeshConfig(mesh, path / "meshConfig") }
        if let components = spec.components {
            let componentsPath = path / "components"
            let single: [(String, IstioOperator.Component?)] = [("base", components.base), ("pilot", components.pilot), ("cni", components.cni), ("ztunnel", components.ztunnel), ("istiodRemote", components.istiodRemote)]
            for (name, component) in single {
                if let component { validateComponent(component, componentsPath / name) }
            }
            for (field, list) in [("ingressGateways", components.ingressGateways), ("egressGateways", components.egressGateways)] {
                var names: Set<String> = []
                each(list, componentsPath / field) { v, gateway, gatewayPath in
                    if (gateway.name ?? "").isEmpty { v.error(gatewayPath / "name", "gateway name is required") }
                    else if !names.insert(gateway.name ?? "").inserted { v.error(gatewayPath / "name", "duplicate gateway name \(gateway.name ?? "")") }
                    v.validateLabels(gateway.label, gatewayPath / "label")
                    v.validateComponent(gateway, gatewayPath)
                }
            }
            if components.cni?.enabled == true { warning(componentsPath / "cni", "the CNI plugin has no effect outside Kubernetes; Weft's network-namespace mode does its job") }
            if components.ztunnel?.enabled == true { warning(componentsPath / "ztunnel", "ambient mode (ztunnel) is not supported by Weft; sidecars are used") }
        }
        if let global = spec.values?.global {
            if let meshID = global.meshID, !meshID.isEmpty, !Names.isDNS1123Label(meshID.lowercased()) {
                error(path / "values" / "global" / "meshID", "meshID \"\(meshID)\" must be a DNS label")
            }
        }
    }

    private mutating func validateComponent(_ component: IstioOperator.Component, _ path: FieldPath) {
        guard let k8s = component.k8s else { return }
        let kubernetesOnly: [(String, Bool)] = [
            ("hpaSpec", k8s.hpaSpec != nil), ("affinity", k8s.affinity != nil), ("tolerations", k8s.tolerations != nil),
            ("nodeSelector", k8s.nodeSelector != nil), ("podDisruptionBudget", k8s.podDisruptionBudget != nil),
            ("priorityClassName", k8s.priorityClassName != nil), ("strategy", k8s.strategy != nil), ("overlays", k8s.overlays != nil),
            ("imagePullPolicy", k8s.imagePullPolicy != nil), ("securityContext", k8s.securityContext != nil),
        ]
        for (field, present) in kubernetesOnly where present {
            warning(path / "k8s" / field, "\(field) has no effect outside Kubernetes")
        }
        if let replicas = k8s.replicaCount, replicas < 0 { error(path / "k8s" / "replicaCount", "replicaCount must not be negative") }
    }

    /// MeshConfig checks: durations, enums already typed, trust domain and export defaults.
    mutating func validateMeshConfig(_ mesh: MeshConfig, _ path: FieldPath) {
        validateDuration(mesh.connectTimeout, path / "connectTimeout")
        validateDuration(mesh.protocolDetectionTimeout, path / "protocolDetectionTimeout", allowZero: true)
        validateDuration(mesh.dnsRefreshRate, path / "dnsRefreshRate")
        if let domain = mesh.trustDomain, !domain.isEmpty, Names.domainProblem(domain) != nil {
            error(path / "trustDomain", "trust domain \"\(domain)\" must be a domain name")
        }
        for (field, list) in [("defaultServiceExportTo", mesh.defaultServiceExportTo), ("defaultVirtualServiceExportTo", mesh.defaultVirtualServiceExportTo), ("defaultDestinationRuleExportTo", mesh.defaultDestinationRuleExportTo)] {
            validateExportTo(list, path / field)
        }
        validateLocalityLbSetting(mesh.localityLbSetting, outlier: nil, path / "localityLbSetting")
        // Envoy would refuse the listeners (a NACK on every proxy); refused here, before it is stored.
        if let format = mesh.accessLogFormat, !format.isEmpty {
            do {
                _ = try AccessLogFormat.mesh(encoding: mesh.accessLogEncoding?.rawValue, format: format)
            } catch {
                self.error(path / "accessLogFormat", error.description)
            }
        }
        if let sampling = mesh.defaultConfig?.tracing?.sampling, sampling < 0 || sampling > 100 {
            error(path / "defaultConfig" / "tracing" / "sampling", "sampling must be in the range 0..100")
        }
        if let address = mesh.defaultConfig?.tracing?.zipkin?.address, !address.isEmpty, !address.contains(":") {
            error(path / "defaultConfig" / "tracing" / "zipkin" / "address", "zipkin address \"\(address)\" must be host:port")
        }
        mesh.defaultConfig?.gatewayTopology?.validate(into: &self, at: path / "defaultConfig" / "gatewayTopology")
        var providerNames: Set<String> = []
        each(mesh.extensionProviders, path / "extensionProviders") { v, provider, providerPath in
            let name = provider.name ?? ""
            if name.isEmpty { v.error(providerPath / "name", "extension provider name is required") }
            else if !providerNames.insert(name).inserted { v.error(providerPath / "name", "duplicate extension provider name \(name)") }
            let bodies = [provider.envoyExtAuthzHttp, provider.envoyExtAuthzGrpc, provider.zipkin, provider.lightstep, provider.datadog,
                          provider.stackdriver, provider.opencensus, provider.skywalking, provider.opentelemetry, provider.prometheus,
                          provider.envoyFileAccessLog, provider.envoyHttpAls, provider.envoyTcpAls, provider.envoyOtelAls, provider.sds]
            if bodies.compactMap({ $0 }).count != 1 { v.error(providerPath, "an extension provider needs exactly one provider body") }
        }
        if let retry = mesh.defaultHttpRetryPolicy { retry.validate(into: &self, at: path / "defaultHttpRetryPolicy") }
        if mesh.mixerCheckServer != nil || mesh.mixerReportServer != nil {
            warning(path, "mixer settings are deprecated and have no effect")
        }
    }
}
