import Testing
import WeftAPI
import WeftControlPlane
import WeftModel
import WeftTesting

/// Istio's Sidecar egress scoping: a proxy sees only the hosts its Sidecar resource allows.
@Suite("Sidecar egress scoping")
struct SidecarScopeSimulationTests {
    static let mesh = """
    apiVersion: v1
    kind: Service
    metadata: {name: reviews, namespace: default}
    spec: {selector: {app: reviews}, ports: [{name: http, port: 9080}]}
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: ratings, namespace: default}
    spec: {selector: {app: ratings}, ports: [{name: http, port: 9080}]}
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: httpbin, namespace: other}
    spec: {selector: {app: httpbin}, ports: [{name: http, port: 8000}]}
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: sleep, namespace: other}
    spec: {selector: {app: sleep}, ports: [{name: http, port: 80}]}
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: telemetry, namespace: istio-system}
    spec: {selector: {app: telemetry}, ports: [{name: http, port: 9090}]}
    ---
    apiVersion: networking.istio.io/v1
    kind: ServiceEntry
    metadata: {name: external, namespace: other}
    spec:
      hosts: [api.example.com]
      ports: [{number: 80, name: http, protocol: HTTP}]
      resolution: DNS
    """

    static let productpage = ProxyIdentity(id: "productpage-1", namespace: "default", labels: ["app": "productpage"])
    static let reviews = ProxyIdentity(id: "reviews-1", namespace: "default", labels: ["app": "reviews"])
    static let sleep = ProxyIdentity(id: "sleep-1", namespace: "other", labels: ["app": "sleep"])

    func hosts(_ yaml: String, _ proxy: ProxyIdentity) throws -> [String] {
        let simulation = try Simulation(yaml: Self.mesh + "\n---\n" + yaml)
        return Array(Set(simulation.clusters(for: proxy).map(\.serviceHost))).sorted()
    }

    @Test("without a Sidecar every exported host is visible")
    func unscoped() throws {
        #expect(try hosts("", Self.productpage) == ["api.example.com", "httpbin.other.svc.cluster.local", "ratings.default.svc.cluster.local",
                                                    "reviews.default.svc.cluster.local", "sleep.other.svc.cluster.local", "telemetry.istio-system.svc.cluster.local"])
    }

    @Test("the namespace default `./*` and `istio-system/*` limits every proxy of the namespace to those namespaces")
    func namespaceDefault() throws {
        let sidecar = """
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: default, namespace: default}
        spec:
          egress: [{hosts: ["./*", "istio-system/*"]}]
        """
        #expect(try hosts(sidecar, Self.productpage) == ["ratings.default.svc.cluster.local", "reviews.default.svc.cluster.local", "telemetry.istio-system.svc.cluster.local"])
        #expect(try hosts(sidecar, Self.sleep).contains("httpbin.other.svc.cluster.local"), "other namespaces are not scoped by it")
    }

    @Test("a workload selector beats the namespace default; `ns/host` and `*/host` name single hosts")
    func selectorAndHosts() throws {
        let sidecars = """
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: default, namespace: default}
        spec:
          egress: [{hosts: ["./*"]}]
        ---
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: reviews-only, namespace: default}
        spec:
          workloadSelector: {labels: {app: reviews}}
          egress: [{hosts: ["./ratings.default.svc.cluster.local", "other/httpbin.other.svc.cluster.local", "*/api.example.com"]}]
        """
        #expect(try hosts(sidecars, Self.reviews) == ["api.example.com", "httpbin.other.svc.cluster.local", "ratings.default.svc.cluster.local"])
        #expect(try hosts(sidecars, Self.productpage) == ["ratings.default.svc.cluster.local", "reviews.default.svc.cluster.local"])
    }

    @Test("the root namespace's Sidecar is the default of namespaces without one; `.` there is the proxy's own namespace")
    func rootDefault() throws {
        let sidecars = """
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: default, namespace: istio-system}
        spec:
          egress: [{hosts: ["./*"]}]
        ---
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: default, namespace: other}
        spec:
          egress: [{hosts: ["*/*"]}]
        """
        #expect(try hosts(sidecars, Self.productpage) == ["ratings.default.svc.cluster.local", "reviews.default.svc.cluster.local"])
        #expect(try hosts(sidecars, Self.sleep).count == 6, "a namespace's own Sidecar replaces the root default")
    }

    @Test("`~/*` imports no host: a Sidecar for a workload that only serves leaves it no outbound cluster")
    func nothing() throws {
        let sidecar = """
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: serve-only, namespace: default}
        spec:
          workloadSelector: {labels: {app: reviews}}
          egress: [{hosts: ["~/*"]}]
        """
        #expect(try hosts(sidecar, Self.reviews).isEmpty)
        #expect(try hosts(sidecar, Self.productpage).count == 6, "other workloads are not scoped by it")
    }

    @Test("a VirtualService in scope brings the services it routes to; one out of scope does not route")
    func virtualServiceDestinations() throws {
        let config = """
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: default, namespace: default}
        spec:
          egress: [{hosts: ["./*"]}]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: ratings-to-httpbin, namespace: default}
        spec:
          hosts: [ratings]
          http: [{route: [{destination: {host: httpbin.other.svc.cluster.local, port: {number: 8000}}}]}]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: sleep-elsewhere, namespace: other}
        spec:
          hosts: [sleep.other.svc.cluster.local]
          http: [{route: [{destination: {host: reviews.default.svc.cluster.local}}]}]
        """
        #expect(try hosts(config, Self.productpage) == ["httpbin.other.svc.cluster.local", "ratings.default.svc.cluster.local", "reviews.default.svc.cluster.local"])
        let simulation = try Simulation(yaml: Self.mesh + "\n---\n" + config)
        #expect(simulation.call(from: Self.productpage, "http://ratings:9080/").cluster == "outbound|8000||httpbin.other.svc.cluster.local")
        #expect(simulation.view(of: Self.productpage).virtualServices.map(\.name) == ["ratings-to-httpbin"])
    }

    @Test("routers are not scoped by a namespace's Sidecar")
    func routersUnscoped() throws {
        let sidecar = """
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: default, namespace: default}
        spec:
          egress: [{hosts: ["./*"]}]
        """
        let router = ProxyIdentity(id: "gateway", namespace: "default", labels: ["istio": "ingressgateway"], mode: .router)
        #expect(try hosts(sidecar, router).count == 6)
    }
}
