import Foundation
import Testing

/// DestinationRule `trafficPolicy.proxyProtocol` (Envoy's upstream_proxy_protocol transport
/// socket): the gateway's connections to an external service behind HAProxy's `accept-proxy`
/// start with a PROXY header HAProxy reads. On TCP routes the header names the gateway's own
/// client (127.0.0.77), as Envoy's tcp_proxy hands it on; with TLS originated, the header goes
/// first and TLS follows; on an HTTP route (no downstream PROXY header to carry), version 1 names
/// the gateway's own connection. Without the policy HAProxy refuses the connection.
@Suite("upstream PROXY protocol", .serialized, .enabled(if: HAProxyPeer.available, "haproxy is not installed"))
struct UpstreamProxyProtocolTests {
    static let client = "127.0.0.77"

    @Test("version 1 and 2 on TCP routes name the gateway's client; after them TLS originated to HAProxy's ssl bind; an HTTP route's version 1 names the gateway's own connection")
    func toHAProxy() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        let gateway = try IngressGatewayFixture(mesh: mesh)
        defer { gateway.certificates.remove() }
        let pki = gateway.certificates
        try pki.makeCA("ca", commonName: "Example CA")
        try pki.makeLeaf("backend", subjectAltName: "DNS:pp-tls.example.com")
        let combined = pki.path("backend-combined.pem")
        try (String(contentsOfFile: pki.path("backend.pem"), encoding: .utf8) + String(contentsOfFile: pki.path("backend.key"), encoding: .utf8))
            .write(toFile: combined, atomically: true, encoding: .utf8)
        let backends = try HAProxyPeer(mesh: mesh, listeners: [
            .answeringClient("v1", bindOptions: "accept-proxy"),
            .answeringClient("v2", bindOptions: "accept-proxy"),
            .answeringClient("tls", bindOptions: "accept-proxy ssl crt \(combined)"),
            .answeringClient("http", bindOptions: "accept-proxy"),
            .answeringClient("none", bindOptions: "accept-proxy"),
        ])
        defer { backends.remove() }
        let tcpPorts = ["v1": gateway.httpPort + 8000, "v2": gateway.httpPort + 8001, "tls": gateway.httpPort + 8002, "none": gateway.httpPort + 8003]
        let policies = ["v1": "proxyProtocol: {}", "v2": "proxyProtocol: {version: V2}",
                        "tls": "proxyProtocol: {version: V2}\n    tls: {mode: SIMPLE, caCertificates: \(pki.path("ca.pem")), sni: pp-tls.example.com}",
                        "http": "proxyProtocol: {version: V1}", "none": "connectionPool: {tcp: {maxConnections: 10}}"]
        var yaml = """
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: pp, namespace: istio-system}
            spec:
              selector: {istio: ingressgateway}
              servers:
              - port: {number: 80, name: http, protocol: HTTP}
                hosts: [pp-http.example.com]

            """
        for (name, port) in tcpPorts.sorted(by: { $0.key < $1.key }) {
            yaml += "  - port: {number: \(port), name: tcp-\(name), protocol: TCP}\n    hosts: [\"*\"]\n"
        }
        yaml += """
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: pp-tcp, namespace: istio-system}
            spec:
              hosts: ["*"]
              gateways: [pp]
              tcp:

            """
        for (name, port) in tcpPorts.sorted(by: { $0.key < $1.key }) {
            yaml += "  - match: [{port: \(port)}]\n    route: [{destination: {host: pp-\(name).example.com, port: {number: \(backends.ports[name] ?? 0)}}}]\n"
        }
        yaml += """
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: pp-http, namespace: istio-system}
            spec:
              hosts: [pp-http.example.com]
              gateways: [pp]
              http:
              - route: [{destination: {host: pp-http.example.com, port: {number: \(backends.ports["http"] ?? 0)}}}]

            """
        for name in ["v1", "v2", "tls", "http", "none"] {
            yaml += """
                ---
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: pp-\(name), namespace: istio-system}
                spec:
                  hosts: [pp-\(name).example.com]
                  location: MESH_EXTERNAL
                  ports: [{number: \(backends.ports[name] ?? 0), name: \(name == "http" ? "http" : "tcp"), protocol: \(name == "http" ? "HTTP" : "TCP")}]
                  resolution: STATIC
                  endpoints: [{address: 127.0.0.1}]
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: pp-\(name), namespace: istio-system}
                spec:
                  host: pp-\(name).example.com
                  trafficPolicy:
                    \(policies[name] ?? "")

                """
        }
        try gateway.apply(yaml)
        try gateway.startRouter()
        try mesh.waitForEndpoints(proxy: "istio-ingressgateway", cluster: "outbound|\(backends.ports["v2"] ?? 0)||pp-v2.example.com", count: 1)

        /// What HAProxy answered through the gateway's TCP server `name`, from 127.0.0.77.
        func throughTCP(_ name: String) -> (status: Int, body: String) {
            let answer = (try? Curl.get("http://\(gateway.address):\(tcpPorts[name] ?? 0)/", options: ["--interface", Self.client])) ?? (0, "")
            return (answer.0, answer.1.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        try mesh.waitUntil("HAProxy answers through the gateway", timeout: 30) { throughTCP("v2").status == 200 }
        for name in ["v1", "v2", "tls"] {
            let answer = throughTCP(name)
            #expect(answer.status == 200, "\(name): \(answer)")
            #expect(answer.body.hasPrefix("client \(Self.client):") && answer.body.hasSuffix(" to \(gateway.address):\(tcpPorts[name] ?? 0)"),
                    "\(name): the header names the gateway's client and the address it reached: \(answer.body)")
        }
        let refused = throughTCP("none")
        #expect(refused.status == 0, "without proxyProtocol HAProxy's accept-proxy refuses the connection: \(refused)")

        let http = try Curl.get("http://\(gateway.address):\(gateway.httpPort)/", headers: ["Host: pp-http.example.com"], options: ["--interface", Self.client])
        #expect(http.0 == 200, "\(http)")
        #expect(http.1.hasPrefix("client 127.0.0.1:") && http.1.hasSuffix(" to 127.0.0.1:\(backends.ports["http"] ?? 0)"),
                "an HTTP route's header names the gateway's own connection (from 127.0.0.1), not its client: \(http.1)")
    }
}
