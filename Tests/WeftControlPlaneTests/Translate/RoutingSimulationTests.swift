import Testing
import WeftAPI
import WeftControlPlane
import WeftModel
import WeftTesting

/// Bookinfo's services, with one running instance per version (two for ratings).
enum BookinfoFixture {
    static let services = """
    apiVersion: v1
    kind: Service
    metadata: {name: reviews, namespace: default}
    spec:
      selector: {app: reviews}
      ports: [{name: http, port: 9080}]
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: ratings, namespace: default}
    spec:
      selector: {app: ratings}
      ports: [{name: http, port: 9080, targetPort: http-app}]
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: productpage, namespace: default}
    spec:
      selector: {app: productpage}
      ports: [{name: http, port: 9080}]
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: httpbin, namespace: other}
    spec:
      selector: {app: httpbin}
      ports: [{name: http, port: 8000, targetPort: 8080}, {name: http-admin, port: 9000}]
    ---
    apiVersion: networking.istio.io/v1
    kind: DestinationRule
    metadata: {name: reviews, namespace: default}
    spec:
      host: reviews
      trafficPolicy: {loadBalancer: {simple: RANDOM}}
      subsets:
      - {name: v1, labels: {version: v1}}
      - {name: v2, labels: {version: v2}}
      - {name: v3, labels: {version: v3}}
      - {name: v9, labels: {version: v9}}
    """

    static let workloads: [WorkloadInstance] = [
        WorkloadInstance(name: "reviews-v1", namespace: "default", labels: ["app": "reviews", "version": "v1"], address: "127.0.10.1", origin: .sidecar),
        WorkloadInstance(name: "reviews-v2", namespace: "default", labels: ["app": "reviews", "version": "v2"], address: "127.0.10.2", origin: .sidecar),
        WorkloadInstance(name: "reviews-v3", namespace: "default", labels: ["app": "reviews", "version": "v3"], address: "127.0.10.3", origin: .sidecar),
        WorkloadInstance(name: "ratings-a", namespace: "default", labels: ["app": "ratings"], address: "127.0.11.1", namedPorts: ["http-app": 7070], origin: .sidecar),
        WorkloadInstance(name: "ratings-b", namespace: "default", labels: ["app": "ratings"], address: "127.0.11.2", namedPorts: ["http-app": 7070], origin: .sidecar),
        WorkloadInstance(name: "productpage", namespace: "default", labels: ["app": "productpage", "version": "v1"], address: "127.0.12.1", origin: .sidecar),
        WorkloadInstance(name: "httpbin", namespace: "other", labels: ["app": "httpbin"], address: "127.0.13.1", origin: .sidecar),
    ]

    static let productpage = ProxyIdentity(id: "productpage.default", namespace: "default", labels: ["app": "productpage", "version": "v1"])
    static let reviewsV2 = ProxyIdentity(id: "reviews-v2.default", namespace: "default", labels: ["app": "reviews", "version": "v2"])
    static let otherNamespace = ProxyIdentity(id: "sleep.other", namespace: "other", labels: ["app": "sleep"])

    static func simulation(_ extra: String = "", meshConfig: MeshConfig = MeshConfig()) throws -> Simulation {
        try Simulation(yaml: services + (extra.isEmpty ? "" : "\n---\n" + extra), workloads: workloads, meshConfig: meshConfig)
    }
}

private func vs(_ http: String, name: String = "reviews", namespace: String = "default", hosts: String = "[reviews]", extra: String = "") -> String {
    """
    apiVersion: networking.istio.io/v1
    kind: VirtualService
    metadata: {name: \(name), namespace: \(namespace)}
    spec:
      hosts: \(hosts)
    \(extra)
      http:
    \(http.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n"))
    """
}

private let v1 = "outbound|9080|v1|reviews.default.svc.cluster.local"
private let v2 = "outbound|9080|v2|reviews.default.svc.cluster.local"
private let v3 = "outbound|9080|v3|reviews.default.svc.cluster.local"

@Suite("routing simulation")
struct RoutingSimulationTests {
    @Test("without a VirtualService, requests balance over every endpoint of the service")
    func defaultRoute() throws {
        let result = try BookinfoFixture.simulation().call(from: BookinfoFixture.productpage, "http://reviews:9080/reviews/0")
        #expect(result.route == "default")
        #expect(result.cluster == "outbound|9080||reviews.default.svc.cluster.local")
        #expect(result.endpoints == ["127.0.10.1:9080", "127.0.10.2:9080", "127.0.10.3:9080"])
    }

    @Test("host names resolve as Kubernetes DNS would from the caller's namespace", arguments: [
        ("reviews:9080", true), ("reviews.default:9080", true), ("reviews.default.svc:9080", true), ("reviews.default.svc.cluster.local:9080", true),
    ])
    func hostForms(_ authority: String, _ resolves: Bool) throws {
        let simulation = try BookinfoFixture.simulation()
        #expect(simulation.call(from: BookinfoFixture.productpage, "http://\(authority)/").cluster == "outbound|9080||reviews.default.svc.cluster.local")
        // From another namespace the short name is not this service; the longer forms are.
        let fromOther = simulation.call(from: BookinfoFixture.otherNamespace, "http://\(authority)/")
        if authority.hasPrefix("reviews:") {
            #expect(fromOther.cluster == "PassthroughCluster")
        } else {
            #expect(fromOther.cluster == "outbound|9080||reviews.default.svc.cluster.local")
        }
    }

    @Test("a named targetPort maps to the workload's container port; two replicas on one port")
    func targetPorts() throws {
        let simulation = try BookinfoFixture.simulation()
        #expect(simulation.call(from: BookinfoFixture.productpage, "http://ratings:9080/ratings/0").endpoints == ["127.0.11.1:7070", "127.0.11.2:7070"])
        #expect(simulation.call(from: BookinfoFixture.otherNamespace, "http://httpbin:8000/get").endpoints == ["127.0.13.1:8080"])
    }

    @Test("header exact match: jason reaches v2, everyone else v1 (reviews-test-v2)")
    func headerExact() throws {
        let simulation = try BookinfoFixture.simulation(vs("""
        - match:
          - headers:
              end-user: {exact: jason}
          route:
          - destination: {host: reviews, subset: v2}
        - route:
          - destination: {host: reviews, subset: v1}
        """))
        #expect(simulation.call(from: BookinfoFixture.productpage, "http://reviews:9080/reviews/0", headers: [("end-user", "jason")]).cluster == v2)
        #expect(simulation.call(from: BookinfoFixture.productpage, "http://reviews:9080/reviews/0", headers: [("End-User", "jason")]).cluster == v2)
        #expect(simulation.call(from: BookinfoFixture.productpage, "http://reviews:9080/reviews/0", headers: [("end-user", "jasonx")]).cluster == v1)
        #expect(simulation.call(from: BookinfoFixture.productpage, "http://reviews:9080/reviews/0").cluster == v1)
    }

    @Test("uri exact, prefix, regex and ignoreUriCase; the first matching rule wins")
    func uriMatches() throws {
        let simulation = try BookinfoFixture.simulation(vs("""
        - match:
          - uri: {exact: /exact}
          route: [{destination: {host: reviews, subset: v1}}]
        - match:
          - uri: {regex: "/reviews/[0-9]+"}
          route: [{destination: {host: reviews, subset: v3}}]
        - match:
          - uri: {prefix: /reviews}
          route: [{destination: {host: reviews, subset: v2}}]
        - match:
          - uri: {prefix: /CASE}
            ignoreUriCase: true
          route: [{destination: {host: reviews, subset: v3}}]
        """))
        let call = { (path: String) in simulation.call(from: BookinfoFixture.productpage, "http://reviews:9080\(path)") }
        #expect(call("/exact").cluster == v1)
        #expect(call("/exact/more").status == 404)
        #expect(call("/reviews/123").cluster == v3)
        #expect(call("/reviews/abc").cluster == v2, "regex is a whole-string match")
        #expect(call("/reviews").cluster == v2)
        #expect(call("/case/x").cluster == v3)
        #expect(call("/elsewhere").status == 404)
        #expect(call("/elsewhere").flag == "NR")
    }

    @Test("header prefix, regex and presence; withoutHeaders; method, authority, query parameters and port")
    func otherMatches() throws {
        let simulation = try BookinfoFixture.simulation(vs("""
        - match:
          - headers:
              x-group: {prefix: beta}
          route: [{destination: {host: reviews, subset: v1}}]
        - match:
          - headers:
              x-version: {regex: "v[23]"}
          route: [{destination: {host: reviews, subset: v2}}]
        - match:
          - headers:
              x-canary: {}
          route: [{destination: {host: reviews, subset: v3}}]
        - match:
          - method: {exact: POST}
            withoutHeaders:
              x-trusted: {exact: "yes"}
          route: [{destination: {host: reviews, subset: v9}}]
        - match:
          - queryParams:
              variant: {exact: red}
          route: [{destination: {host: reviews, subset: v3}}]
        - match:
          - authority: {prefix: "reviews.default"}
            port: 9080
          route: [{destination: {host: reviews, subset: v2}}]
        - route: [{destination: {host: reviews, subset: v1}}]
        """))
        let from = BookinfoFixture.productpage
        #expect(simulation.call(from: from, "http://reviews:9080/", headers: [("x-group", "beta-testers")]).cluster == v1)
        #expect(simulation.call(from: from, "http://reviews:9080/", headers: [("x-version", "v3")]).cluster == v2)
        #expect(simulation.call(from: from, "http://reviews:9080/", headers: [("x-version", "v33")]).cluster == v1)
        #expect(simulation.call(from: from, "http://reviews:9080/", headers: [("x-canary", "")]).cluster == v3)
        let post = simulation.call(from: from, "http://reviews:9080/", method: "POST")
        #expect(post.cluster == "outbound|9080|v9|reviews.default.svc.cluster.local")
        #expect(post.status == 503 && post.flag == "UH", "a subset with no endpoints answers 503 UH")
        #expect(simulation.call(from: from, "http://reviews:9080/", method: "POST", headers: [("x-trusted", "yes")]).cluster == v1)
        #expect(simulation.call(from: from, "http://reviews:9080/?variant=red").cluster == v3)
        #expect(simulation.call(from: from, "http://reviews.default.svc:9080/").cluster == v2)
        #expect(simulation.call(from: from, "http://reviews:9080/").cluster == v1)
    }

    @Test("sourceLabels and sourceNamespace decide per caller")
    func sourceMatches() throws {
        let simulation = try BookinfoFixture.simulation(vs("""
        - match:
          - sourceLabels: {app: reviews, version: v2}
          route: [{destination: {host: reviews, subset: v2}}]
        - match:
          - sourceNamespace: other
          route: [{destination: {host: reviews, subset: v3}}]
        - route: [{destination: {host: reviews, subset: v1}}]
        """, hosts: "[reviews.default.svc.cluster.local]"))
        #expect(simulation.call(from: BookinfoFixture.reviewsV2, "http://reviews:9080/").cluster == v2)
        #expect(simulation.call(from: BookinfoFixture.productpage, "http://reviews:9080/").cluster == v1)
        #expect(simulation.call(from: BookinfoFixture.otherNamespace, "http://reviews.default:9080/").cluster == v3)
    }

    @Test("weighted destinations follow their weights (reviews-50-v3)")
    func weights() throws {
        let simulation = try BookinfoFixture.simulation(vs("""
        - route:
          - destination: {host: reviews, subset: v1}
            weight: 50
          - destination: {host: reviews, subset: v3}
            weight: 50
        """))
        var counts: [String: Int] = [:]
        for roll in 0..<100 {
            counts[simulation.call(from: BookinfoFixture.productpage, "http://reviews:9080/", roll: roll).cluster ?? "none", default: 0] += 1
        }
        #expect(counts == [v1: 50, v3: 50])
    }

    @Test("a VirtualService short host means the service in the VirtualService's own namespace")
    func shortHostNamespace() throws {
        let simulation = try BookinfoFixture.simulation(vs("""
        - route: [{destination: {host: httpbin, port: {number: 9000}}}]
        """, name: "reviews-elsewhere", namespace: "other", hosts: "[reviews]"))
        // `reviews` in namespace other is reviews.other, which does not exist: default reviews is untouched.
        #expect(simulation.call(from: BookinfoFixture.productpage, "http://reviews:9080/").route == "default")
        let direct = try BookinfoFixture.simulation(vs("""
        - route: [{destination: {host: httpbin, port: {number: 9000}}}]
        """, name: "httpbin", namespace: "other", hosts: "[httpbin]"))
        #expect(direct.call(from: BookinfoFixture.otherNamespace, "http://httpbin:8000/").cluster == "outbound|9000||httpbin.other.svc.cluster.local")
    }

    @Test("hosts outside the registry: passthrough under ALLOW_ANY, 502 under REGISTRY_ONLY")
    func outboundTrafficPolicy() throws {
        #expect(try BookinfoFixture.simulation().call(from: BookinfoFixture.productpage, "http://example.com/").cluster == "PassthroughCluster")
        var mesh = MeshConfig()
        mesh.outboundTrafficPolicy = .init(mode: .REGISTRY_ONLY)
        let blocked = try BookinfoFixture.simulation(meshConfig: mesh).call(from: BookinfoFixture.productpage, "http://example.com/")
        #expect(blocked.status == 502)
        #expect(blocked.cluster == "BlackHoleCluster")
    }

    @Test("VirtualServices bound only to a gateway do not affect sidecars; gateways route them")
    func gatewayBinding() throws {
        let yaml = """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: bookinfo-gateway, namespace: default}
        spec:
          selector: {istio: ingressgateway}
          servers:
          - port: {number: 8080, name: http, protocol: HTTP}
            hosts: ["*"]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: bookinfo, namespace: default}
        spec:
          hosts: ["*"]
          gateways: [bookinfo-gateway]
          http:
          - match:
            - uri: {exact: /productpage}
            - uri: {prefix: /static}
            route:
            - destination: {host: productpage, port: {number: 9080}}
        """
        let simulation = try BookinfoFixture.simulation(yaml)
        let router = ProxyIdentity(id: "ingress", namespace: "istio-system", labels: ["istio": "ingressgateway"], mode: .router)
        let page = simulation.callGateway(router, port: 8080, "http://192.0.2.1:8080/productpage")
        #expect(page.cluster == "outbound|9080||productpage.default.svc.cluster.local")
        #expect(page.endpoints == ["127.0.12.1:9080"])
        #expect(simulation.callGateway(router, port: 8080, "http://localhost/static/x.css").cluster == page.cluster)
        let root = simulation.callGateway(router, port: 8080, "http://localhost/")
        #expect(root.status == 404 && root.flag == "NR")
        #expect(simulation.call(from: BookinfoFixture.reviewsV2, "http://productpage:9080/health").route == "default")
    }

    @Test("a Gateway port equal to a port of the router's Service listens on its targetPort (80 → 8080), as Istio's stock ingress")
    func gatewayServicePortTranslation() throws {
        let yaml = """
        apiVersion: v1
        kind: Service
        metadata: {name: istio-ingressgateway, namespace: istio-system}
        spec:
          selector: {istio: ingressgateway}
          ports:
          - {name: http2, port: 80, targetPort: 8080}
          - {name: https, port: 443, targetPort: 8443}
        ---
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: httpbin-gateway, namespace: default}
        spec:
          selector: {istio: ingressgateway}
          servers:
          - port: {number: 80, name: http, protocol: HTTP}
            hosts: ["*"]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: productpage, namespace: default}
        spec:
          hosts: ["*"]
          gateways: [httpbin-gateway]
          http:
          - route:
            - destination: {host: productpage, port: {number: 9080}}
        """
        let simulation = try BookinfoFixture.simulation(yaml)
        let router = ProxyIdentity(id: "ingress", namespace: "istio-system", labels: ["istio": "ingressgateway"], mode: .router)
        #expect(simulation.callGateway(router, port: 8080, "http://localhost/anything").cluster == "outbound|9080||productpage.default.svc.cluster.local")
        #expect(simulation.callGateway(router, port: 80, "http://localhost/anything").flag == "no listener on 80", "80 is the Service port, not a listener")
        let elsewhere = ProxyIdentity(id: "other", namespace: "default", labels: ["istio": "ingressgateway"], mode: .router)
        #expect(simulation.callGateway(elsewhere, port: 80, "http://localhost/").cluster != nil, "a Service in another namespace does not translate")
    }
}
