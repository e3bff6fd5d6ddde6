import Testing
import WeftAPI
@testable import WeftControlPlane

/// A workload proxy's `concurrency`, resolved with Istio's precedence (`EffectiveProxyConfig`).
struct ProxyBootstrapTests {
    static func resources(_ yaml: String) -> [any APIResource] {
        ConfigLoader.load(text: yaml, file: "test.yaml").compactMap { $0.isValid ? $0.resource : nil }
    }

    static let mesh = """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: istio, namespace: istio-system}
        data:
          mesh: |
            defaultConfig:
              concurrency: 3
        """
    static let installation = """
        apiVersion: install.istio.io/v1alpha1
        kind: IstioOperator
        metadata: {name: installed, namespace: istio-system}
        spec:
          values:
            global:
              proxy:
                concurrency: 5
        """
    static let rootConfig = """
        apiVersion: networking.istio.io/v1beta1
        kind: ProxyConfig
        metadata: {name: mesh-wide, namespace: istio-system}
        spec: {concurrency: 4}
        """
    static let namespaceConfig = """
        apiVersion: networking.istio.io/v1beta1
        kind: ProxyConfig
        metadata: {name: ns-wide, namespace: bookinfo}
        spec: {concurrency: 6}
        """
    static let workloadConfig = """
        apiVersion: networking.istio.io/v1beta1
        kind: ProxyConfig
        metadata: {name: ratings, namespace: bookinfo}
        spec:
          selector: {matchLabels: {app: ratings}}
          concurrency: 0
        """

    static func concurrency(_ documents: [String], labels: [String: String] = ["app": "ratings"], annotation: Int? = nil) -> Int {
        var pod: MeshProxyConfig?
        if let annotation {
            pod = MeshProxyConfig()
            pod?.concurrency = annotation
        }
        return ProxyBootstrap.resolve(namespace: "bookinfo", labels: labels, annotation: pod, resources: resources(documents.joined(separator: "\n---\n"))).concurrency
    }

    @Test("Istio's order: workload ProxyConfig, pod annotation, namespace, root namespace, MeshConfig defaultConfig, install values, then 2")
    func precedence() {
        #expect(Self.concurrency([]) == 2, "Istio's default")
        #expect(Self.concurrency([Self.installation]) == 5)
        #expect(Self.concurrency([Self.installation, Self.mesh]) == 3)
        #expect(Self.concurrency([Self.installation, Self.mesh, Self.rootConfig]) == 4)
        #expect(Self.concurrency([Self.installation, Self.mesh, Self.rootConfig, Self.namespaceConfig]) == 6)
        #expect(Self.concurrency([Self.installation, Self.mesh, Self.rootConfig, Self.namespaceConfig], annotation: 1) == 1)
        #expect(Self.concurrency([Self.installation, Self.mesh, Self.rootConfig, Self.namespaceConfig, Self.workloadConfig], annotation: 1) == 0,
                "a ProxyConfig selecting the workload wins, and 0 (one per core) is a value")
        #expect(Self.concurrency([Self.namespaceConfig, Self.workloadConfig], labels: ["app": "reviews"]) == 6, "a selector that does not match is skipped")
    }

    @Test("another namespace's ProxyConfig does not apply")
    func otherNamespace() {
        let other = Self.namespaceConfig.replacingOccurrences(of: "namespace: bookinfo", with: "namespace: default")
        #expect(Self.concurrency([Self.mesh, other]) == 3)
    }

    @Test("gatewayTopology: the gateway Deployment's proxy.istio.io/config over MeshConfig defaultConfig, field by field; nil when neither sets it")
    func gatewayTopology() throws {
        let mesh = """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: istio, namespace: istio-system}
            data:
              mesh: |
                defaultConfig:
                  gatewayTopology: {numTrustedProxies: 2, forwardClientCertDetails: APPEND_FORWARD}
            """
        let gateway = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: istio-ingressgateway, namespace: istio-system}
            spec:
              selector: {matchLabels: {istio: ingressgateway}}
              template:
                metadata:
                  labels: {istio: ingressgateway}
                  annotations:
                    proxy.istio.io/config: '{"gatewayTopology": {"numTrustedProxies": 1}}'
                spec:
                  containers: [{name: istio-proxy, image: auto}]
            """
        let labels = ["istio": "ingressgateway"]
        func resolve(_ documents: [String]) -> GatewayTopology? {
            let all = Self.resources(documents.joined(separator: "\n---\n"))
            let annotation = ProxyBootstrap.deploymentAnnotation(namespace: "istio-system", labels: labels, resources: all)
            return ProxyBootstrap.resolve(namespace: "istio-system", labels: labels, annotation: annotation, resources: all).gatewayTopology
        }
        #expect(resolve([]) == nil)
        #expect(resolve([mesh]) == GatewayTopology(numTrustedProxies: 2, forwardClientCertDetails: "APPEND_FORWARD"))
        #expect(resolve([mesh, gateway]) == GatewayTopology(numTrustedProxies: 1, forwardClientCertDetails: "APPEND_FORWARD"), "the annotation's field wins, the mesh's other stays")
        #expect(resolve([gateway]) == GatewayTopology(numTrustedProxies: 1))
        #expect(ProxyBootstrap.deploymentAnnotation(namespace: "istio-system", labels: ["istio": "egressgateway"], resources: Self.resources(gateway)) == nil,
                "a Deployment whose pod labels the proxy lacks is not its own")
    }

    @Test("gatewayTopology out of range in MeshConfig or the annotation is refused, naming the field")
    func gatewayTopologyValidation() {
        let issues = MeshConfigDocument.issues(in: "defaultConfig:\n  gatewayTopology: {numTrustedProxies: -1, forwardClientCertDetails: SET}\n")
        #expect(issues.map(\.path.description).sorted() == ["defaultConfig.gatewayTopology.forwardClientCertDetails", "defaultConfig.gatewayTopology.numTrustedProxies"], "\(issues)")
        let annotation = MeshConfigDocument.proxyConfigIssues(in: #"{"gatewayTopology": {"forwardClientCertDetails": "sanitize"}}"#)
        #expect(annotation.count == 1 && annotation[0].message.contains("forwardClientCertDetails must be one of"), "\(annotation)")
        #expect(MeshConfigDocument.issues(in: "defaultConfig:\n  gatewayTopology: {numTrustedProxies: 2, forwardClientCertDetails: SANITIZE_SET}\n").isEmpty)
        // proxyProtocol is ProxyConfig's empty message: `{}` turns it on, anything else is refused.
        #expect(MeshConfigDocument.issues(in: "defaultConfig:\n  gatewayTopology: {proxyProtocol: {}}\n").isEmpty)
        #expect(MeshConfigDocument.proxyConfigIssues(in: #"{"gatewayTopology": {"proxyProtocol": {}}}"#).isEmpty)
        let scalar = MeshConfigDocument.issues(in: "defaultConfig:\n  gatewayTopology: {proxyProtocol: true}\n")
        #expect(scalar.map(\.path.description) == ["defaultConfig.gatewayTopology.proxyProtocol"] && scalar.first?.message.contains("must be an object") == true, "\(scalar)")
        let fields = MeshConfigDocument.proxyConfigIssues(in: #"{"gatewayTopology": {"proxyProtocol": {"version": "V2"}}}"#)
        #expect(fields.count == 1 && fields[0].message.contains("takes no fields") && fields[0].message.contains("version"), "\(fields)")
    }
}
