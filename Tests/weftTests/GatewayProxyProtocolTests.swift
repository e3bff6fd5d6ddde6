import Foundation
import Testing

/// HAProxy in TCP mode in front of Weft's ingress gateway, as an L4 load balancer (an NLB, a
/// bare-metal HAProxy) sends PROXY protocol to Istio's: the gateway Deployment's
/// `proxy.istio.io/config` sets `gatewayTopology.proxyProtocol: {}` (istio.io "Configuring Gateway
/// Network Topology"), and HAProxy writes the header, version 1 (`send-proxy`) or 2
/// (`send-proxy-v2`). The client connects from 127.0.0.77; HAProxy reaches the gateway from its own
/// address. Everything the gateway says of its client names 127.0.0.77.
@Suite("gateway PROXY protocol", .serialized, .enabled(if: HAProxyPeer.available, "haproxy is not installed"))
struct GatewayProxyProtocolTests {
    static let client = "127.0.0.77"

    @Test("behind HAProxy's send-proxy and send-proxy-v2 the gateway's client is HAProxy's client: X-Forwarded-For, X-Envoy-External-Address, ipBlocks, the access log; HTTP, HTTPS and TCP servers; no header: closed, counted")
    func behindLoadBalancer() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        let gateway = try IngressGatewayFixture(mesh: mesh)
        defer { gateway.certificates.remove() }
        let accessLog = FileManager.default.temporaryDirectory.appendingPathComponent("weft-proxy-protocol-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: accessLog) }
        let pki = gateway.certificates
        try pki.makeCA("ca", commonName: "Example CA")
        try pki.makeLeaf("frontend", subjectAltName: "DNS:frontend.example.com")
        try pki.makeLeaf("greeter", subjectAltName: "DNS:greeter.example.com")
        let tcpPort = gateway.httpPort + 8000
        try gateway.apply(try gateway.tlsSecret("frontend-cert", leaf: "frontend") + "\n---\n" + Self.configuration(accessLog: accessLog, tcpPort: tcpPort))
        let peers = MeshHarness.fixtures.appendingPathComponent("banner_peers.py").path
        try mesh.startApp(name: "greeter-v1", labels: "app=greeter,version=v1", port: 2525, command: ["python3", peers, "server", "2525"])
        try gateway.startFrontendAndRouter()
        try mesh.waitForEndpoints(proxy: "istio-ingressgateway", cluster: "outbound|2525||greeter.default.svc.cluster.local", count: 1)

        let balancer = try HAProxyPeer(mesh: mesh, listeners: [
            .forwarding("http-v1", to: "\(gateway.address):\(gateway.httpPort)", options: "send-proxy"),
            .forwarding("http-v2", to: "\(gateway.address):\(gateway.httpPort)", options: "send-proxy-v2"),
            .forwarding("https-v2", to: "\(gateway.address):\(gateway.httpsPort)", options: "send-proxy-v2"),
            .forwarding("tcp-v2", to: "\(gateway.address):\(tcpPort)", options: "send-proxy-v2"),
        ])
        defer { balancer.remove() }
        func echo(_ frontend: String, scheme: String = "http", from source: String = Self.client) -> (status: Int, headers: [String: String]) {
            let port = balancer.ports[frontend] ?? 0
            let host = "frontend.example.com"
            let options = ["--interface", source, "--resolve", "\(host):\(port):127.0.0.1", "--cacert", pki.path("ca.pem")]
            let answer = (try? Curl.get("\(scheme)://\(host):\(port)/echo", headers: [], options: options)) ?? (0, "")
            let object = (try? JSONSerialization.jsonObject(with: Data(answer.1.utf8))) as? [String: Any]
            return (answer.0, (object?["headers"] as? [String: String]) ?? [:])
        }
        try mesh.waitUntil("the gateway answers through HAProxy", timeout: 30) { echo("http-v1").status == 200 }

        for frontend in ["http-v1", "http-v2"] {
            let seen = echo(frontend)
            #expect(seen.status == 200, "\(frontend)")
            #expect(seen.headers["x-forwarded-for"] == Self.client, "\(frontend): the gateway appends the client the header named, not HAProxy: \(seen.headers)")
            #expect(seen.headers["x-envoy-external-address"] == Self.client, "\(frontend): \(seen.headers)")
        }
        #expect(gateway.counter("proxy_proto.versions.v1.found") >= 1)
        #expect(gateway.counter("proxy_proto.versions.v2.found") >= 1)

        // TLS after the header: HAProxy passes the ClientHello on untouched, the gateway terminates it.
        let secure = echo("https-v2", scheme: "https")
        #expect(secure.status == 200 && secure.headers["x-forwarded-for"] == Self.client, "\(secure)")

        // A TCP server: the greeting and the echo pass both ways, the header does not reach the app
        // (it would have been echoed back in place of HELLO).
        let tcp = (try? WeftProcess.runTool("python3", [peers, "client", "127.0.0.1", String(balancer.ports["tcp-v2"] ?? 0)])) ?? ""
        let exchanged = (try? JSONSerialization.jsonObject(with: Data(tcp.utf8))) as? [String: String]
        #expect(exchanged?["greeting"] == "220 greeter-v1 ready" && exchanged?["echo"] == "HELLO", "\(tcp)")

        // The access log: the client and the address it connected to (HAProxy's frontend), as the header named them.
        try mesh.waitUntil("the gateway logs the proxied client") {
            Self.logEntries(accessLog).contains { entry in
                (entry["downstream_remote_address"] as? String)?.hasPrefix(Self.client + ":") == true
                    && entry["downstream_local_address"] as? String == "127.0.0.1:\(balancer.ports["http-v2"] ?? 0)"
            }
        }

        // curl's own version 1 header, straight to the gateway: the client is curl's address.
        let direct = try Curl.get("http://\(gateway.address):\(gateway.httpPort)/echo", headers: ["Host: frontend.example.com"], options: ["--haproxy-protocol"])
        #expect(direct.0 == 200, "\(direct)")

        // Without a header the connection is closed before any request is read, and counted.
        let errors = gateway.counter("downstream_cx_proxy_proto_error")
        let bare = try gateway.curl("http", host: "frontend.example.com", path: "/echo")
        #expect(bare.status == 0 && bare.exit != 0, "a client that sends no PROXY header gets no answer: \(bare)")
        try mesh.waitUntil("the refusal is counted") { gateway.counter("downstream_cx_proxy_proto_error") > errors && gateway.counter("proxy_proto.not_found_disallowed") >= 1 }

        // ipBlocks read the proxied client (Envoy's direct_remote_ip honours the PROXY header).
        try gateway.apply("""
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: only-77, namespace: istio-system}
            spec:
              selector: {matchLabels: {istio: ingressgateway}}
              action: ALLOW
              rules:
              - from:
                - source: {ipBlocks: ["\(Self.client)/32"]}
            """)
        try mesh.waitUntil("the policy denies another client") { echo("http-v2", from: "127.0.0.78").status == 403 }
        #expect(echo("http-v2").status == 200, "the client HAProxy names is allowed, though HAProxy's own address is not")
        // The TCP server too, as Istio's network RBAC filter judges a connection: .77 through HAProxy passes, .78 is closed.
        func greet(from source: String) -> [String: String] {
            let output = (try? WeftProcess.runTool("env", ["CLIENT_SOURCE=\(source)", "python3", peers, "client", "127.0.0.1", String(balancer.ports["tcp-v2"] ?? 0)])) ?? ""
            return (try? JSONSerialization.jsonObject(with: Data(output.utf8))) as? [String: String] ?? [:]
        }
        #expect(greet(from: Self.client)["echo"] == "HELLO", "\(greet(from: Self.client))")
        #expect(greet(from: "127.0.0.78")["greeting"] ?? "" == "", "a denied connection is closed before the app greets: \(greet(from: "127.0.0.78"))")
        #expect(gateway.counter("tcp.rbac.denied") >= 1 && gateway.counter("tcp.rbac.allowed") >= 1)
    }

    /// The gateway's Deployment (its annotation turns PROXY protocol on), the mesh's JSON access
    /// log, and an HTTP, an HTTPS and a TCP server with their routes.
    static func configuration(accessLog: URL, tcpPort: Int) -> String {
        """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: istio, namespace: istio-system}
        data:
          mesh: |
            accessLogFile: \(accessLog.path)
            accessLogEncoding: JSON
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: istio-ingressgateway, namespace: istio-system}
        spec:
          selector: {matchLabels: {istio: ingressgateway}}
          template:
            metadata:
              labels: {istio: ingressgateway}
              annotations:
                proxy.istio.io/config: '{"gatewayTopology": {"proxyProtocol": {}}}'
            spec:
              containers: [{name: istio-proxy, image: auto}]
        ---
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: frontend, namespace: istio-system}
        spec:
          selector: {istio: ingressgateway}
          servers:
          - port: {number: 80, name: http, protocol: HTTP}
            hosts: [frontend.example.com]
          - port: {number: 443, name: https, protocol: HTTPS}
            hosts: [frontend.example.com]
            tls: {mode: SIMPLE, credentialName: frontend-cert}
          - port: {number: \(tcpPort), name: tcp, protocol: TCP}
            hosts: ["*"]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: frontend, namespace: istio-system}
        spec:
          hosts: [frontend.example.com]
          gateways: [frontend]
          http:
          - route: [{destination: {host: frontend.default.svc.cluster.local, port: {number: 9080}}}]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: greeter, namespace: istio-system}
        spec:
          hosts: ["*"]
          gateways: [frontend]
          tcp:
          - match: [{port: \(tcpPort)}]
            route: [{destination: {host: greeter.default.svc.cluster.local, port: {number: 2525}}}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: greeter, namespace: default}
        spec:
          selector: {app: greeter}
          ports: [{name: tcp, port: 2525}]
        """
    }

    static func logEntries(_ file: URL) -> [[String: Any]] {
        ((try? String(contentsOf: file, encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
    }
}
