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

    @Test("a sidecar gets its outbound proxy and one inbound listener per container port")
    func sidecar() throws {
        let simulation = try Simulation(yaml: Self.gateways)
        let sidecar = ProxyIdentity(id: "reviews-1", namespace: "default", labels: ["app": "reviews"], ports: ["http": 9080, "admin": 9090])
        #expect(simulation.listeners(for: sidecar) == [
            ListenerConfig(name: "outbound", port: 15001, direction: .outbound, routeTable: "outbound"),
            ListenerConfig(name: "inbound|9080", port: 9080, direction: .inbound, appPort: 9080),
            ListenerConfig(name: "inbound|9090", port: 9090, direction: .inbound, appPort: 9090),
        ])
    }
}
