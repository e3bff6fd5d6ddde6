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
}
