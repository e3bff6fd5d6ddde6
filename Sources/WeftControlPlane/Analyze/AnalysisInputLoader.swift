import WeftAPI

/// Builds an `AnalysisInput` from YAML texts, the way istioctl analyze reads local files.
public struct AnalysisInputLoader {
    /// The namespace given to resources that do not name one ("" reproduces Istio's analyzer tests).
    public var defaultNamespace: String
    /// Adds Istio's default ingress gateway workload and Service (as `AddDefaultResources` does)
    /// so file-only analysis does not report the stock gateway as missing.
    public var addDefaultResources: Bool
    public var istioNamespace: String
    /// Treats each Deployment's pod template as a running pod, since in Weft Deployments describe
    /// the workloads `weft run` starts. Off for Istio's own tests, which list pods explicitly.
    public var workloadsFromDeployments: Bool

    public init(defaultNamespace: String = "default", addDefaultResources: Bool = true, istioNamespace: String = "istio-system", workloadsFromDeployments: Bool = true) {
        self.defaultNamespace = defaultNamespace
        self.addDefaultResources = addDefaultResources
        self.istioNamespace = istioNamespace
        self.workloadsFromDeployments = workloadsFromDeployments
    }

    /// Reads every text into one input; `meshConfigText` replaces the default MeshConfig.
    public func load(_ texts: [(name: String, text: String)], meshConfigText: String? = nil) throws -> AnalysisInput {
        var input = AnalysisInput()
        if let meshConfigText { input.meshConfig = try MeshConfigDocument.decode(meshConfigText) }
        var all = texts
        if addDefaultResources && input.meshConfig.ingressControllerMode != "OFF" {
            all.append((name: "internal-ingress", text: DefaultResources.ingressGateway(namespace: istioNamespace, service: input.meshConfig.ingressService ?? "istio-ingressgateway")))
        }
        for (name, text) in all {
            let documents: [(index: Int, node: ConfigNode)]
            do {
                documents = try ConfigNode.parseDocuments(text)
            } catch {
                input.loadReports.append(contentsOf: ConfigLoader.load(text: text, file: name))
                continue
            }
            for document in documents {
                let source = SourceLocation(file: name, document: document.index, line: document.node.line)
                for report in ConfigLoader.load(node: document.node, source: source) {
                    add(report, node: document.node, to: &input)
                }
            }
        }
        return input
    }

    /// Builds an input from resources already decoded (the control plane's snapshot), with the
    /// same defaults and derived workloads as file analysis.
    public func input(from resources: [(any APIResource, SourceLocation?)]) -> AnalysisInput {
        var input = (try? load([])) ?? AnalysisInput()
        for (resource, source) in resources {
            if let configMap = resource as? ConfigMap, configMap.metadata.name == "istio", let mesh = configMap.data?["mesh"],
               let meshConfig = try? MeshConfigDocument.decode(mesh) {
                input.meshConfig = meshConfig
            }
            let namespace = resource.metadata.namespace ?? defaultNamespace
            input.resources.append(AnalyzedResource(resource: resource, namespace: namespace, source: source))
            if workloadsFromDeployments, let deployment = resource as? Deployment, let pod = Self.pod(from: deployment, namespace: namespace) {
                input.resources.append(AnalyzedResource(resource: pod, namespace: namespace, source: source))
            }
        }
        return input
    }

    private func add(_ report: ResourceReport, node: ConfigNode, to input: inout AnalysisInput) {
        if !report.errors.isEmpty { input.loadReports.append(report) }
        if let resource = report.resource {
            let namespace = resource.metadata.namespace ?? defaultNamespace
            input.resources.append(AnalyzedResource(resource: resource, namespace: namespace, source: report.source))
            if workloadsFromDeployments, let deployment = resource as? Deployment, let pod = Self.pod(from: deployment, namespace: namespace) {
                input.resources.append(AnalyzedResource(resource: pod, namespace: namespace, source: report.source))
            }
            return
        }
        let (group, _) = ResourceType.splitAPIVersion(report.apiVersion ?? "")
        let metadata = node["metadata"]
        let name = metadata?["name"]?.stringValue ?? ""
        let namespace = metadata?["namespace"]?.stringValue ?? defaultNamespace
        switch (group, report.kind) {
        case ("", "Node"?):
            var labels: [String: String] = [:]
            for entry in metadata?["labels"]?.entries ?? [] { labels[entry.key] = entry.value.stringValue ?? "" }
            input.nodeLabels[name] = labels
        case ("gateway.networking.k8s.io", "Gateway"?):
            let hostnames = (node["spec"]?["listeners"]?.elements ?? []).compactMap { $0["hostname"]?.stringValue }
            input.kubernetesGateways.append(KubernetesGatewayRef(namespace: namespace, name: name, hostnames: hostnames.isEmpty ? ["*"] : hostnames))
        default:
            break
        }
    }
}

extension AnalysisInputLoader {
    /// The pod a Deployment's template describes; its name marks it as derived.
    static func pod(from deployment: Deployment, namespace: String) -> Pod? {
        guard let template = deployment.spec?.template else { return nil }
        var metadata = template.metadata ?? ObjectMeta()
        metadata.name = "\(deployment.name)-workload"
        metadata.namespace = namespace
        // `weft run --deployment` starts these with a sidecar unless they opt out.
        if metadata.annotations?["sidecar.istio.io/inject"] != "false" && metadata.labels?["sidecar.istio.io/inject"] != "false" {
            metadata.annotations = (metadata.annotations ?? [:]).merging(["sidecar.istio.io/status": "weft-run"]) { old, _ in old }
        }
        var pod = Pod(apiVersion: "v1", kind: "Pod", metadata: metadata)
        pod.spec = template.spec
        return pod
    }
}

/// The resources istioctl assumes exist when analyzing files alone: the stock ingress gateway
/// workload (`istio: ingressgateway`) and its Service, which in Weft is the ingress gateway process.
enum DefaultResources {
    static func ingressGateway(namespace: String, service: String) -> String {
        """
        apiVersion: v1
        kind: Pod
        metadata:
          name: \(service)-dummypod
          namespace: \(namespace)
          labels: {istio: ingressgateway}
        spec:
          containers:
          - name: istio-proxy
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: \(service)
          namespace: \(namespace)
          labels: {istio: ingressgateway}
        spec:
          selector: {istio: ingressgateway}
          ports:
          - {name: status-port, port: 15021, targetPort: 15021, protocol: TCP}
          - {name: http2, port: 80, targetPort: 8080, protocol: TCP}
          - {name: https, port: 443, targetPort: 8443, protocol: TCP}
          - {name: tcp, port: 31400, targetPort: 31400, protocol: TCP}
          - {name: tls, port: 15443, targetPort: 15443, protocol: TCP}
        """
    }
}
