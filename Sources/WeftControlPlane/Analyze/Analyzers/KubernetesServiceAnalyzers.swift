import WeftAPI

/// Istio's protocol selection from a port name (`http-web`, `grpc`, `tcp-db`) or appProtocol.
enum PortProtocol {
    static let known = ["http", "http2", "https", "http_proxy", "grpc", "grpc-web", "tcp", "tls", "udp", "mongo", "redis", "mysql", "thrift", "hbone"]

    /// The protocol a Service port declares, or nil when neither its name nor appProtocol says.
    static func of(name: String?, appProtocol: String?) -> String? {
        if let appProtocol, !appProtocol.isEmpty { return appProtocol.uppercased() }
        guard let name = name?.lowercased(), !name.isEmpty else { return nil }
        if known.contains(name) { return name.uppercased() }
        let prefix = name.split(separator: "-", maxSplits: 1).first.map(String.init) ?? name
        return known.contains(prefix) ? prefix.uppercased() : nil
    }
}

/// IST0118/IST0150: Service ports name their protocol (`http-…`, `tcp-…`) or set appProtocol.
struct PortNameAnalyzer: Analyzer {
    let name = "service.PortNameAnalyzer"
    let summary = "Checks the port names associated with each service"
    static let systemNamespaces: Set<String> = ["kube-system", "kube-public", "kube-node-lease", "local-path-storage"]

    func analyze(_ context: AnalysisContext) -> [AnalysisMessage] {
        var messages: [AnalysisMessage] = []
        for (resource, service) in context.all(Service.self) {
            if Self.systemNamespaces.contains(resource.namespace) || resource.labels["istio"] != nil || resource.labels["release"] == "istio" { continue }
            guard let spec = service.spec else { continue }
            if spec.type == "ExternalName" {
                let invalid = (spec.ports ?? []).contains { port in
                    let proto = PortProtocol.of(name: port.name, appProtocol: port.appProtocol)
                    return proto == nil || proto == "TCP" || proto == "UDP"
                }
                if invalid {
                    messages.append(AnalysisMessage(Messages.externalNameServiceTypeInvalidPortName, resource,
                        "Port name for ExternalName service is invalid. Proxy may prevent tcp named ports and unmatched traffic for ports serving TCP protocol from being forwarded correctly"))
                }
                continue
            }
            for port in spec.ports ?? [] where PortProtocol.of(name: port.name, appProtocol: port.appProtocol) == nil {
                messages.append(AnalysisMessage(Messages.portNameIsNotUnderNamingConvention, resource,
                    "Port name \(port.name ?? "") (port: \(port.port ?? 0), targetPort: \(port.targetPort?.description ?? "")) doesn't follow the naming convention of Istio port."))
            }
        }
        return messages
    }
}

/// IST0116/IST0137: a Deployment behind several Services that disagree on a port's protocol,
/// or that map one target port to different service ports.
struct ServiceAssociationAnalyzer: Analyzer {
    let name = "deployment.MultiServiceAnalyzer"
    let summary = "Checks association between services and pods"

    func analyze(_ context: AnalysisContext) -> [AnalysisMessage] {
        var messages: [AnalysisMessage] = []
        let services = context.all(Service.self)
        for (resource, deployment) in context.all(Deployment.self) {
            let podLabels = deployment.spec?.template?.metadata?.labels ?? [:]
            if deployment.spec?.template?.metadata?.annotations?["sidecar.istio.io/inject"] == "false" { continue }
            let matching = services.filter { service, spec in
                service.namespace == resource.namespace && !(spec.spec?.selector ?? [:]).isEmpty && LabelMatcher(spec.spec?.selector).matches(podLabels)
            }
            guard matching.count > 1 else { continue }
            var protocolsByPort: [Int: [String]] = [:]
            var portsByTarget: [String: [Int]] = [:]
            var servicesByTarget: [String: [String]] = [:]
            for (service, spec) in matching {
                for port in spec.spec?.ports ?? [] {
                    guard let number = port.port else { continue }
                    let proto = PortProtocol.of(name: port.name, appProtocol: port.appProtocol) ?? (port.protocol ?? "TCP").uppercased()
                    if !(protocolsByPort[number] ?? []).contains(proto) { protocolsByPort[number, default: []].append(proto) }
                    let target = port.targetPort?.description ?? String(number)
                    if !(portsByTarget[target] ?? []).contains(number) { portsByTarget[target, default: []].append(number) }
                    if !(servicesByTarget[target] ?? []).contains(service.name) { servicesByTarget[target, default: []].append(service.name) }
                }
            }
            for (port, protocols) in protocolsByPort.sorted(by: { $0.key < $1.key }) where protocols.count > 1 {
                messages.append(AnalysisMessage(Messages.deploymentAssociatedToMultipleServices, resource,
                    "This deployment \(resource.name) is associated with multiple services using port \(port) but different protocols: \(goList(protocols))"))
            }
            for (target, ports) in portsByTarget.sorted(by: { $0.key < $1.key }) where ports.count > 1 {
                messages.append(AnalysisMessage(Messages.deploymentConflictingPorts, resource,
                    "This deployment \(resource.name) is associated with multiple services \(goList(servicesByTarget[target] ?? [])) using targetPort \"\(target)\" but different ports: \(goList(ports.map(String.init)))."))
            }
        }
        return messages
    }
}
