extension Validator {
    mutating func validateService(_ service: Service) {
        let path = FieldPath([.key("spec")])
        guard let spec = service.spec else { return }
        if let type = spec.type, !["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"].contains(type) {
            error(path / "type", "unsupported service type \"\(type)\"; expected ClusterIP, NodePort, LoadBalancer or ExternalName")
        }
        if spec.type == "ExternalName" && (spec.externalName ?? "").isEmpty {
            error(path / "externalName", "externalName is required for an ExternalName service")
        }
        if (spec.ports ?? []).count > 1 {
            for (index, port) in (spec.ports ?? []).enumerated() where (port.name ?? "").isEmpty {
                error(path / "ports" / index / "name", "port name is required when a service has more than one port")
            }
        }
        var names: Set<String> = [], numbers: Set<String> = []
        each(spec.ports, path / "ports") { v, port, portPath in
            if let number = port.port { v.validatePort(number, portPath / "port") } else { v.error(portPath / "port", "port is required") }
            if let name = port.name, !name.isEmpty {
                v.validatePortName(name, portPath / "name")
                if !names.insert(name).inserted { v.error(portPath / "name", "duplicate port name \(name)") }
            }
            let key = "\(port.port ?? 0)/\(port.protocol ?? "TCP")"
            if !numbers.insert(key).inserted { v.error(portPath / "port", "duplicate port \(key)") }
            if let proto = port.protocol, !["TCP", "UDP", "SCTP"].contains(proto) {
                v.error(portPath / "protocol", "unsupported protocol \"\(proto)\"; expected TCP, UDP or SCTP")
            }
            switch port.targetPort {
            case .int(let target)?: v.validatePort(target, portPath / "targetPort")
            case .string(let target)?: if !Names.isDNS1123Label(target) || target.count > 15 { v.error(portPath / "targetPort", "targetPort name \"\(target)\" must be a DNS label of at most 15 characters") }
            case nil: break
            }
            if let nodePort = port.nodePort { v.validatePort(nodePort, portPath / "nodePort") }
        }
        validateLabels(spec.selector, path / "selector")
    }

    mutating func validateDeployment(_ deployment: Deployment) {
        let path = FieldPath([.key("spec")])
        guard let spec = deployment.spec else { error(path, "spec is required"); return }
        if let replicas = spec.replicas, replicas < 0 { error(path / "replicas", "replicas must not be negative") }
        let selectorLabels = spec.selector?.matchLabels ?? [:]
        if spec.selector == nil { error(path / "selector", "selector is required") }
        validateLabels(spec.selector?.matchLabels, path / "selector" / "matchLabels")
        let templateLabels = spec.template?.metadata?.labels ?? [:]
        for (key, value) in selectorLabels.sorted(by: { $0.key < $1.key }) where templateLabels[key] != value {
            error(path / "template" / "metadata" / "labels", "selector does not match template labels: \(key)=\(value) is missing")
        }
        if let template = spec.template {
            validateLabels(template.metadata?.labels, path / "template" / "metadata" / "labels")
            if let text = template.metadata?.annotations?[MeshConfigDocument.proxyConfigAnnotation] {
                let annotationPath = path / "template" / "metadata" / "annotations" / MeshConfigDocument.proxyConfigAnnotation
                for issue in MeshConfigDocument.proxyConfigIssues(in: text) {
                    issues.append(Issue(severity: issue.severity, path: FieldPath(annotationPath.components + issue.path.components), message: issue.message))
                }
            }
            if let podSpec = template.spec { validatePodSpec(podSpec, path / "template" / "spec") }
            else { error(path / "template" / "spec", "template spec is required") }
        } else {
            error(path / "template", "template is required")
        }
    }

    mutating func validatePodSpec(_ spec: PodSpec, at path: FieldPath) {
        validatePodSpec(spec, path)
    }

    mutating func validatePodSpec(_ spec: PodSpec, _ path: FieldPath) {
        if (spec.containers ?? []).isEmpty { error(path / "containers", "at least one container is required") }
        var names: Set<String> = []
        for (field, list) in [("containers", spec.containers), ("initContainers", spec.initContainers)] {
            each(list, path / field) { v, container, containerPath in
                let name = container.name ?? ""
                if name.isEmpty { v.error(containerPath / "name", "container name is required") }
                else if !Names.isDNS1123Label(name) { v.error(containerPath / "name", "invalid container name \"\(name)\": must be a DNS label") }
                else if !names.insert(name).inserted { v.error(containerPath / "name", "duplicate container name \(name)") }
                v.each(container.ports, containerPath / "ports") { v, port, portPath in
                    if let number = port.containerPort { v.validatePort(number, portPath / "containerPort") }
                    else { v.error(portPath / "containerPort", "containerPort is required") }
                    if let name = port.name, !name.isEmpty, !Names.isDNS1123Label(name) || name.count > 15 {
                        v.error(portPath / "name", "port name \"\(name)\" must be a DNS label of at most 15 characters")
                    }
                }
                v.each(container.env, containerPath / "env") { v, variable, variablePath in
                    if (variable.name ?? "").isEmpty { v.error(variablePath / "name", "environment variable name is required") }
                    if variable.value != nil && variable.valueFrom != nil { v.error(variablePath, "only one of value or valueFrom may be set") }
                }
            }
        }
        if let account = spec.serviceAccountName, !account.isEmpty, !Names.isDNS1123Subdomain(account) {
            error(path / "serviceAccountName", "invalid service account name \"\(account)\"")
        }
        if let seconds = spec.terminationGracePeriodSeconds, seconds < 0 { error(path / "terminationGracePeriodSeconds", "must not be negative") }
    }

    mutating func validateSecret(_ secret: Secret) {
        for (key, value) in (secret.data ?? [:]).sorted(by: { $0.key < $1.key }) where Base64.decode(value) == nil {
            error(FieldPath([.key("data"), .key(key)]), "value is not valid base64")
        }
        if secret.type == "kubernetes.io/tls" {
            let keys = Set((secret.data ?? [:]).keys).union((secret.stringData ?? [:]).keys)
            for required in ["tls.crt", "tls.key"] where !keys.contains(required) {
                error(FieldPath([.key("data")]), "a kubernetes.io/tls secret needs \(required)")
            }
        }
    }

    /// The `istio` ConfigMap's `mesh` key is a MeshConfig document, checked as strictly as a resource.
    mutating func validateConfigMap(_ map: ConfigMap) {
        guard map.metadata.name == "istio" || (map.metadata.name ?? "").hasPrefix("istio-"), let mesh = map.data?["mesh"] else { return }
        let path = FieldPath([.key("data"), .key("mesh")])
        for issue in MeshConfigDocument.issues(in: mesh) {
            issues.append(Issue(severity: issue.severity, path: FieldPath(path.components + issue.path.components), message: issue.message))
        }
    }
}

/// Decoding and checking a MeshConfig document held as text (the `istio` ConfigMap).
public enum MeshConfigDocument {
    /// The pod annotation that overrides MeshConfig's `defaultConfig` for one workload's proxy.
    public static let proxyConfigAnnotation = "proxy.istio.io/config"

    /// A `proxy.istio.io/config` annotation's ProxyConfig (YAML or JSON).
    public static func decodeProxyConfig(_ text: String) throws -> MeshProxyConfig {
        let documents = try ConfigNode.parseDocuments(text)
        guard let node = documents.first?.node else { return MeshProxyConfig() }
        return try StrictDecoder.decode(MeshProxyConfig.self, from: node).0
    }

    /// What is wrong with a `proxy.istio.io/config` annotation: not YAML, a field ProxyConfig does not have, a sampling out of range.
    public static func proxyConfigIssues(in text: String) -> [Issue] {
        let documents: [(index: Int, node: ConfigNode)]
        do {
            documents = try ConfigNode.parseDocuments(text)
        } catch {
            return [Issue(severity: .error, path: .root, message: "proxy config is not valid YAML: \(error)")]
        }
        guard let node = documents.first?.node else { return [] }
        do {
            let (config, unknown) = try StrictDecoder.decode(MeshProxyConfig.self, from: node)
            var validator = Validator()
            for field in unknown { validator.error(field, "unknown field \"\(field.components.last.map { if case .key(let k) = $0 { return k } else { return "" } } ?? "")\"") }
            if let sampling = config.tracing?.sampling, sampling < 0 || sampling > 100 {
                validator.error(FieldPath([.key("tracing"), .key("sampling")]), "sampling must be in the range 0..100")
            }
            config.gatewayTopology?.validate(into: &validator, at: FieldPath([.key("gatewayTopology")]))
            return validator.issues
        } catch {
            return [DecodeFailure.issue(from: error)]
        }
    }

    public static func decode(_ text: String) throws -> MeshConfig {
        let documents = try ConfigNode.parseDocuments(text)
        guard let node = documents.first?.node else { return MeshConfig() }
        return try StrictDecoder.decode(MeshConfig.self, from: node).0
    }

    public static func issues(in text: String) -> [Issue] {
        let documents: [(index: Int, node: ConfigNode)]
        do {
            documents = try ConfigNode.parseDocuments(text)
        } catch {
            return [Issue(severity: .error, path: .root, message: "mesh config is not valid YAML: \(error)")]
        }
        guard let node = documents.first?.node else { return [] }
        do {
            let (mesh, unknown) = try StrictDecoder.decode(MeshConfig.self, from: node)
            var validator = Validator()
            for field in unknown { validator.error(field, "unknown field \"\(field.components.last.map { if case .key(let k) = $0 { return k } else { return "" } } ?? "")\"") }
            validator.validateMeshConfig(mesh, .root)
            return validator.issues
        } catch {
            return [DecodeFailure.issue(from: error)]
        }
    }
}
