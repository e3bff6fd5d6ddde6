import Testing
import WeftAPI
import WeftControlPlane
import WeftModel
import WeftTesting

/// The listeners translator: what each proxy is told to listen on.
@Suite("listener translation")
struct ListenerTranslationTests {
    static let gateways = """
    apiVersion: v1
    kind: Service
    metadata: {name: istio-ingressgateway, namespace: istio-system}
    spec:
      selector: {istio: ingressgateway}
      ports: [{name: http2, port: 80, targetPort: 8080}]
    ---
    apiVersion: networking.istio.io/v1
    kind: Gateway
    metadata: {name: bookinfo-gateway, namespace: default}
    spec:
      selector: {istio: ingressgateway}
      servers:
      - port: {number: 80, name: http, protocol: HTTP}
        hosts: ["bookinfo.example"]
      - port: {number: 9000, name: http-admin, protocol: HTTP}
        hosts: ["admin.example"]
    ---
    apiVersion: networking.istio.io/v1
    kind: Gateway
    metadata: {name: httpbin-gateway, namespace: default}
    spec:
      selector: {istio: ingressgateway}
      servers:
      - port: {number: 80, name: http, protocol: HTTP}
        hosts: ["httpbin.example"]
    ---
    apiVersion: networking.istio.io/v1
    kind: Gateway
    metadata: {name: egress, namespace: default}
    spec:
      selector: {istio: egressgateway}
      servers:
      - port: {number: 443, name: tls, protocol: TLS}
        hosts: ["*"]
        tls: {mode: PASSTHROUGH}
    """

    @Test("a router gets one listener per server port (80 → its Service's targetPort 8080), with every server's hosts, and nothing of Gateways that select others")
    func router() throws {
        let simulation = try Simulation(yaml: Self.gateways)
        let router = ProxyIdentity(id: "ingress", namespace: "istio-system", labels: ["istio": "ingressgateway"], mode: .router)
        #expect(simulation.listeners(for: router) == [
            ListenerConfig(name: "0.0.0.0_8080", port: 8080, direction: .gateway, routeTable: "http.8080", hosts: ["bookinfo.example", "httpbin.example"]),
            ListenerConfig(name: "0.0.0.0_9000", port: 9000, direction: .gateway, routeTable: "http.9000", hosts: ["admin.example"]),
        ])
        let egress = ProxyIdentity(id: "egress", namespace: "istio-system", labels: ["istio": "egressgateway"], mode: .router)
        #expect(simulation.listeners(for: egress).map(\.protocolName) == ["TLS"], "the protocol is the server's")
    }

    @Test("a sidecar gets its outbound proxy, one inbound listener per container port (sniffed, AUTO, when no Service port declares it) and virtualInbound (transparent capture's undeclared ports)")
    func sidecar() throws {
        let simulation = try Simulation(yaml: Self.gateways)
        let sidecar = ProxyIdentity(id: "reviews-1", namespace: "default", labels: ["app": "reviews"], ports: ["http": 9080, "admin": 9090])
        #expect(simulation.listeners(for: sidecar) == [
            ListenerConfig(name: "outbound", port: 15001, direction: .outbound, routeTable: "outbound"),
            ListenerConfig(name: "inbound|9080", port: 9080, direction: .inbound, protocolName: "AUTO", appPort: 9080),
            ListenerConfig(name: "inbound|9090", port: 9090, direction: .inbound, protocolName: "AUTO", appPort: 9090),
            ListenerConfig(name: "virtualInbound", port: 15006, direction: .inbound, protocolName: "AUTO"),
        ])
    }

    @Test("virtualInbound carries the workload's own PeerAuthentication (STRICT holds on ports no container port declares) and its policies")
    func virtualInbound() throws {
        let simulation = try Simulation(yaml: Self.gateways + """

            ---
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: reviews, namespace: default}
            spec:
              selector: {matchLabels: {app: reviews}}
              mtls: {mode: STRICT}
              portLevelMtls: {9080: {mode: PERMISSIVE}}
            """)
        let sidecar = ProxyIdentity(id: "reviews-1", namespace: "default", labels: ["app": "reviews"], ports: ["http": 9080])
        let listeners = simulation.listeners(for: sidecar)
        #expect(listeners.first { $0.name == "inbound|9080" }?.peerAuthentication == .permissive)
        #expect(listeners.first { $0.name == "virtualInbound" }?.peerAuthentication == .strict)
    }

    static let tcpServices = """
    apiVersion: v1
    kind: Service
    metadata: {name: redis, namespace: default}
    spec:
      selector: {app: redis}
      ports: [{name: tcp-redis, port: 6379}, {name: http-metrics, port: 9121, targetPort: metrics}, {name: db, port: 7000, appProtocol: mongo},
              {name: grpc-api, port: 50051}]
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: cache, namespace: default}
    spec:
      selector: {app: cache}
      ports: [{name: tcp, port: 6379}]
    ---
    apiVersion: networking.istio.io/v1
    kind: DestinationRule
    metadata: {name: redis, namespace: default}
    spec:
      host: redis
      subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
    ---
    apiVersion: networking.istio.io/v1
    kind: Sidecar
    metadata: {name: client, namespace: default}
    spec:
      workloadSelector: {labels: {app: client}}
      egress:
      - port: {number: 6379, protocol: TCP, name: tcp-redis}
        captureMode: NONE
        hosts: ["./redis.default.svc.cluster.local"]
      - port: {number: 8080, protocol: HTTP, name: http}
        hosts: ["./*"]
      - port: {number: 15001, protocol: TCP}
        hosts: ["./*"]
      - hosts: ["istio-system/*"]
    """

    @Test("an inbound port is carried as TCP when the selecting Service's port says tcp, redis, mongo (name or appProtocol), named by number or targetPort name; HTTP2 (to an app that speaks it) for grpc; HTTP for http; sniffed (AUTO) when nothing declares it")
    func inboundProtocols() throws {
        let simulation = try Simulation(yaml: Self.tcpServices)
        let redis = ProxyIdentity(id: "redis-1", namespace: "default", labels: ["app": "redis"], ports: ["redis": 6379, "metrics": 9121, "mongo": 7000, "other": 8000, "api": 50051])
        let inbound = simulation.listeners(for: redis).filter { $0.direction == .inbound }
        #expect(inbound.map { "\($0.port) \($0.protocolName) \($0.hosts)" } == [
            "6379 TCP [\"redis.default.svc.cluster.local\"]", "7000 TCP [\"redis.default.svc.cluster.local\"]",
            "8000 AUTO []", "9121 HTTP [\"redis.default.svc.cluster.local\"]", "50051 HTTP2 [\"redis.default.svc.cluster.local\"]", "15006 AUTO []",
        ])
    }

    @Test("a Sidecar egress port becomes a listener on the pod IP: TCP to the one service of its hosts on that port, HTTP routed as the outbound proxy; ports the pod already uses and portless entries are left out")
    func egressListeners() throws {
        let simulation = try Simulation(yaml: Self.tcpServices)
        let client = ProxyIdentity(id: "client-1", namespace: "default", labels: ["app": "client"], ports: ["http": 8080])
        let egress = simulation.listeners(for: client).filter { $0.direction == .egress }
        #expect(egress.map(\.name) == ["egress|6379"], "8080 is the pod's own container port, 15001 its outbound proxy")
        #expect(egress.first?.protocolName == "TCP")
        #expect(egress.first?.tcpDestinations == [WeightedCluster(cluster: "outbound|6379||redis.default.svc.cluster.local", weight: 100)])

        let other = ProxyIdentity(id: "client-2", namespace: "default", labels: ["app": "client"], ports: [:])
        let http = simulation.listeners(for: other).first { $0.name == "egress|8080" }
        #expect(http?.protocolName == "HTTP" && http?.routeTable == "outbound" && http?.tcpDestinations == [])
    }

    @Test("a VirtualService tcp route decides an egress port's destinations: the first route whose match holds (port, sourceLabels, mesh gateway), its weights and subsets; none that holds falls back to the service")
    func tcpRoutes() throws {
        let routes = Self.tcpServices + """

        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: redis, namespace: default}
        spec:
          hosts: [redis]
          tcp:
          - match: [{port: 6379, sourceLabels: {canary: "true"}}]
            route: [{destination: {host: redis, subset: v2}}]
          - match: [{port: 6380}]
            route: [{destination: {host: redis, subset: v1}}]
          - match: [{port: 6379, gateways: [mesh]}]
            route:
            - {destination: {host: redis, subset: v1}, weight: 80}
            - {destination: {host: redis, subset: v2}, weight: 20}
        """
        let simulation = try Simulation(yaml: routes)
        let plain = ProxyIdentity(id: "client-1", namespace: "default", labels: ["app": "client"], ports: [:])
        #expect(simulation.listeners(for: plain).first { $0.name == "egress|6379" }?.tcpDestinations == [
            WeightedCluster(cluster: "outbound|6379|v1|redis.default.svc.cluster.local", weight: 80),
            WeightedCluster(cluster: "outbound|6379|v2|redis.default.svc.cluster.local", weight: 20),
        ])
        let canary = ProxyIdentity(id: "client-2", namespace: "default", labels: ["app": "client", "canary": "true"], ports: [:])
        #expect(simulation.listeners(for: canary).first { $0.name == "egress|6379" }?.tcpDestinations == [
            WeightedCluster(cluster: "outbound|6379|v2|redis.default.svc.cluster.local", weight: 100),
        ])
        let gatewaysOnly = try Simulation(yaml: routes.replacingOccurrences(of: "gateways: [mesh]", with: "gateways: [istio-system/ingress]")
            .replacingOccurrences(of: "sourceLabels: {canary: \"true\"}", with: "sourceLabels: {canary: \"no\"}"))
        #expect(gatewaysOnly.listeners(for: plain).first { $0.name == "egress|6379" }?.tcpDestinations == [
            WeightedCluster(cluster: "outbound|6379||redis.default.svc.cluster.local", weight: 100),
        ], "no route holds for the mesh: the service itself")
    }

    @Test("a TLS egress port routes by SNI: the tls routes whose match holds for this proxy (port, sourceLabels), in order, then each service of the hosts by its own names; the default for a hello without a name is the first service")
    func sniRoutes() throws {
        let simulation = try Simulation(yaml: """
        apiVersion: v1
        kind: Service
        metadata: {name: tls-a, namespace: default}
        spec:
          selector: {app: tls-a}
          ports: [{name: tls, port: 8443}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: tls-b, namespace: default}
        spec:
          selector: {app: tls-b}
          ports: [{name: https, port: 8443}]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: by-sni, namespace: default}
        spec:
          hosts: ["*.example.com"]
          tls:
          - match: [{port: 8443, sniHosts: [a.example.com]}]
            route: [{destination: {host: tls-a}}]
          - match: [{sniHosts: [canary.example.com], sourceLabels: {canary: "true"}}]
            route: [{destination: {host: tls-b}}]
          - match: [{port: 9443, sniHosts: [other.example.com]}]
            route: [{destination: {host: tls-b}}]
          - match: [{sniHosts: ["*.B.example.com"]}]
            route:
            - {destination: {host: tls-a}, weight: 10}
            - {destination: {host: tls-b}, weight: 90}
        ---
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: client, namespace: default}
        spec:
          workloadSelector: {labels: {app: client}}
          egress:
          - port: {number: 8443, protocol: TLS, name: tls}
            captureMode: NONE
            hosts: ["./*"]
        """)
        let client = ProxyIdentity(id: "client-1", namespace: "default", labels: ["app": "client"], ports: [:])
        let listener = try #require(simulation.listeners(for: client).first { $0.name == "egress|8443" })
        #expect(listener.protocolName == "TLS")
        #expect(listener.tcpDestinations == [WeightedCluster(cluster: "outbound|8443||tls-a.default.svc.cluster.local", weight: 100)])
        let a = "outbound|8443||tls-a.default.svc.cluster.local", b = "outbound|8443||tls-b.default.svc.cluster.local"
        #expect(listener.sniRoutes == [
            SNIRoute(sniHosts: ["a.example.com"], destinations: [WeightedCluster(cluster: a, weight: 100)]),
            SNIRoute(sniHosts: ["*.b.example.com"], destinations: [WeightedCluster(cluster: a, weight: 10), WeightedCluster(cluster: b, weight: 90)]),
            SNIRoute(sniHosts: ["tls-a.default.svc.cluster.local", "tls-a", "tls-a.default", "tls-a.default.svc"], destinations: [WeightedCluster(cluster: a, weight: 100)]),
            SNIRoute(sniHosts: ["tls-b.default.svc.cluster.local", "tls-b", "tls-b.default", "tls-b.default.svc"], destinations: [WeightedCluster(cluster: b, weight: 100)]),
        ])
        let canary = ProxyIdentity(id: "client-2", namespace: "default", labels: ["app": "client", "canary": "true"], ports: [:])
        let canaryRoutes = simulation.listeners(for: canary).first { $0.name == "egress|8443" }?.sniRoutes ?? []
        #expect(canaryRoutes.map(\.sniHosts).prefix(3) == [["a.example.com"], ["canary.example.com"], ["*.b.example.com"]])
    }

    @Test("a cluster speaks HTTP/2 upstream for an http2 or grpc port, or when its DestinationRule says h2UpgradePolicy UPGRADE (DO_NOT_UPGRADE turns a grpc port's off)")
    func http2Clusters() throws {
        let simulation = try Simulation(yaml: Self.tcpServices + """

        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: default}
        spec:
          selector: {app: web}
          ports: [{name: http, port: 8080}, {name: http2-api, port: 8081}]
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: web, namespace: default}
        spec:
          host: web
          trafficPolicy:
            portLevelSettings:
            - port: {number: 8080}
              connectionPool: {http: {h2UpgradePolicy: UPGRADE}}
            - port: {number: 8081}
              connectionPool: {http: {h2UpgradePolicy: DO_NOT_UPGRADE}}
        """)
        let client = ProxyIdentity(id: "other-1", namespace: "default", labels: ["app": "other"], ports: [:])
        let http2 = Dictionary(simulation.clusters(for: client).map { ($0.name, $0.http2) }, uniquingKeysWith: { first, _ in first })
        #expect(http2["outbound|50051||redis.default.svc.cluster.local"] == true)
        #expect(http2["outbound|6379||redis.default.svc.cluster.local"] == false)
        #expect(http2["outbound|8080||web.default.svc.cluster.local"] == true, "UPGRADE")
        #expect(http2["outbound|8081||web.default.svc.cluster.local"] == false, "DO_NOT_UPGRADE")
    }
}
