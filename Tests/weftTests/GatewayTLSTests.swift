import Foundation
import Testing

/// HTTPS at the ingress gateway, with certificates made by the test and given as Istio users give
/// them: `credentialName` Secrets (Kubernetes' `kubernetes.io/tls` and Istio's generic form).
@Suite("gateway TLS servers", .serialized)
struct GatewayTLSTests {
    /// The seed's ingress: `myapp.company.com` on 443 SIMPLE with `credentialName: myapp-tls-cert`,
    /// port 80 redirected with `httpsRedirect`, `/api/` and `/` to two services.
    static let seedIngress = """
    apiVersion: networking.istio.io/v1
    kind: Gateway
    metadata: {name: myapp-gateway, namespace: istio-system}
    spec:
      selector: {istio: ingressgateway}
      servers:
      - port: {number: 443, name: https, protocol: HTTPS}
        hosts: [myapp.company.com]
        tls: {mode: SIMPLE, credentialName: myapp-tls-cert}
      - port: {number: 443, name: https-other, protocol: HTTPS}
        hosts: [other.example.com]
        tls: {mode: SIMPLE, credentialName: other-cert}
      - port: {number: 443, name: https-missing, protocol: HTTPS}
        hosts: [missing.example.com]
        tls: {mode: SIMPLE, credentialName: no-such-secret}
      - port: {number: 80, name: http, protocol: HTTP}
        hosts: [myapp.company.com]
        tls: {httpsRedirect: true}
    ---
    apiVersion: networking.istio.io/v1
    kind: VirtualService
    metadata: {name: myapp, namespace: istio-system}
    spec:
      hosts: [myapp.company.com, other.example.com]
      gateways: [myapp-gateway]
      http:
      - match: [{uri: {prefix: /api/}}]
        route: [{destination: {host: api.default.svc.cluster.local, port: {number: 9080}}}]
      - route: [{destination: {host: frontend.default.svc.cluster.local, port: {number: 9080}}}]
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: api}
    spec:
      selector: {app: api}
      ports: [{name: http, port: 9080}]
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: frontend}
    spec:
      selector: {app: frontend}
      ports: [{name: http, port: 9080}]
    """

    @Test("the seed's ingress: 443 SIMPLE with credentialName (kubernetes.io/tls), a second server on the port told apart by SNI (generic cert/key), 80 answers 301 to https; an unknown name (closed, no alert) and a server whose Secret is missing are refused while the rest serve; TLS 1.1 refused (alert protocol version); the Secret rotated under an open connection, a bad update keeps the last good certificate")
    func seedIngress() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        let gateway = try IngressGatewayFixture(mesh: mesh)
        defer { gateway.certificates.remove() }
        let pki = gateway.certificates
        try pki.makeCA("ca", commonName: "Example Corp CA")
        try pki.makeLeaf("myapp", subjectAltName: "DNS:myapp.company.com")
        try pki.makeLeaf("other", subjectAltName: "DNS:other.example.com")
        let otherSecret = """
        apiVersion: v1
        kind: Secret
        metadata: {name: other-cert, namespace: istio-system}
        stringData:
          cert: |
        \(try String(contentsOfFile: pki.path("other.pem"), encoding: .utf8).split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
          key: |
        \(try String(contentsOfFile: pki.path("other.key"), encoding: .utf8).split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
        """
        try gateway.apply(try gateway.tlsSecret("myapp-tls-cert", leaf: "myapp") + "\n---\n" + otherSecret + "\n---\n" + Self.seedIngress)
        try mesh.startEcho(name: "api-v1", labels: "app=api,version=v1")
        try mesh.startEcho(name: "frontend-v1", labels: "app=frontend,version=v1")
        try gateway.startRouter()
        try mesh.waitForEndpoints(proxy: "istio-ingressgateway", cluster: "outbound|9080||api.default.svc.cluster.local", count: 1)
        try mesh.waitForEndpoints(proxy: "istio-ingressgateway", cluster: "outbound|9080||frontend.default.svc.cluster.local", count: 1)
        let trust = ["--cacert", pki.path("ca.pem")]
        try mesh.waitUntil("HTTPS answers at the gateway") { (try? gateway.curl(host: "myapp.company.com", path: "/api/v1", options: trust).status) == 200 }

        let api = try gateway.curl(host: "myapp.company.com", path: "/api/v1/items?x=1", options: trust)
        #expect(api.status == 200 && api.body.contains("api-v1"), "\(api)")
        #expect(api.body.lowercased().contains("\"x-forwarded-proto\": \"https\""), "the app hears the request came over HTTPS: \(api.body)")
        let page = try gateway.curl(host: "myapp.company.com", path: "/", options: trust)
        #expect(page.status == 200 && page.body.contains("frontend-v1"), "\(page)")
        let h2 = try gateway.curl(host: "myapp.company.com", path: "/", options: trust + ["--http2"])
        #expect(h2.status == 200 && h2.headers.hasPrefix("HTTP/2 200") && gateway.counter("ssl.alpn.h2") >= 1, "ALPN h2: curl speaks HTTP/2 to the gateway (\(h2.headers))")
        let other = try gateway.curl(host: "other.example.com", path: "/", options: trust)
        #expect(other.status == 200 && other.body.contains("frontend-v1"), "the second server's own certificate verifies for its name: \(other)")

        let redirect = try gateway.curl("http", host: "myapp.company.com", path: "/api/v1?y=2")
        #expect(redirect.status == 301, "\(redirect)")
        #expect(redirect.headers.lowercased().contains("location: https://myapp.company.com:\(gateway.httpPort)/api/v1?y=2"), "\(redirect.headers)")

        let unknown = try gateway.curl(host: "unknown.example.com", path: "/", options: ["-k"])
        #expect(unknown.exit == 35 && unknown.status == 0, "a name no server has is refused in the handshake: \(unknown)")
        #expect(!unknown.error.contains("alert"), "closed without an alert, as Envoy closes a connection no filter chain matches: \(unknown.error)")
        let missing = try gateway.curl(host: "missing.example.com", path: "/", options: ["-k"])
        #expect(missing.exit == 35, "the server whose Secret is missing stays closed: \(missing)")
        #expect(gateway.counter("listener.0.0.0.0_\(gateway.httpsPort).no_filter_chain_match") >= 1, "\(gateway.stats())")
        #expect(gateway.counter("listener.0.0.0.0_\(gateway.httpsPort).server_ssl_socket_factory.ssl_context_update_error") >= 1)
        let secrets = try mesh.controlPlane.weft(["proxy-config", "secret", gateway.proxyID]).stdout
        let rows = secrets.split(separator: "\n")
        #expect(rows.contains { $0.contains("kubernetes://myapp-tls-cert") && $0.contains("ACTIVE") && $0.contains("true") }
                && rows.contains { $0.contains("kubernetes://no-such-secret") && $0.contains("WARMING") && $0.contains("not found") },
                "proxy-config secret shows the gateway's credentials as istioctl does: \(secrets)")
        let analysis = try mesh.controlPlane.weft(["analyze", "--use-control-plane", "--all-namespaces"])
        #expect(analysis.stdout.contains("IST0101") && analysis.stdout.contains("no-such-secret"), "weft analyze names the missing Secret: \(analysis.stdout)\(analysis.stderr)")
        let old = try gateway.curl(host: "myapp.company.com", path: "/", options: trust + ["--tls-max", "1.1", "--tlsv1.0"])
        #expect(old.exit != 0 && old.status == 0, "TLS 1.1 is below Istio's minimum (1.2): \(old)")
        #expect(old.error.contains("alert protocol version"), "Envoy's alert for a version below the minimum: \(old.error)")
        #expect(try gateway.curl(host: "myapp.company.com", path: "/", options: trust).status == 200, "and the port keeps serving")

        // Rotation: a connection opened under the first certificate stays open and answers while
        // new connections get the new one (signed by another CA).
        let held = try HeldHTTPSConnection(host: "myapp.company.com", port: gateway.httpsPort, address: gateway.address, ca: pki.path("ca.pem"))
        defer { held.close() }
        #expect(held.get("/").contains("frontend-v1"))
        try pki.makeCA("ca2", commonName: "Example Corp CA 2")
        try pki.makeLeaf("myapp2", subjectAltName: "DNS:myapp.company.com", ca: "ca2")
        try gateway.apply(try gateway.tlsSecret("myapp-tls-cert", leaf: "myapp2"))
        let newTrust = ["--cacert", pki.path("ca2.pem")]
        try mesh.waitUntil("the rotated certificate is served") { (try? gateway.curl(host: "myapp.company.com", path: "/", options: newTrust).status) == 200 }
        #expect(held.get("/api/x").contains("api-v1"), "the connection opened before the rotation still answers")
        // A bad update (a key that is not the certificate's) is refused; the last good one serves on.
        let errors = gateway.counter("listener.0.0.0.0_\(gateway.httpsPort).server_ssl_socket_factory.ssl_context_update_error")
        try gateway.apply(try gateway.tlsSecret("myapp-tls-cert", leaf: "myapp", key: "other"))
        try mesh.waitUntil("the bad Secret reaches the gateway and is refused") {
            _ = try? gateway.curl(host: "myapp.company.com", path: "/", options: newTrust)
            return gateway.counter("listener.0.0.0.0_\(gateway.httpsPort).server_ssl_socket_factory.ssl_context_update_error") > errors
        }
        #expect(try gateway.curl(host: "myapp.company.com", path: "/", options: newTrust).status == 200, "the last good certificate serves")

        // The private keys never leave the control plane for anyone but the gateway: proxy-config shows them redacted.
        let dump = try mesh.controlPlane.weft(["proxy-config", "listeners", gateway.proxyID, "-o", "json"]).stdout
        #expect(!dump.contains("PRIVATE KEY") && dump.contains("[redacted]"), "\(dump.prefix(2000))")
    }
}

extension GatewayTLSTests {
    @Test("certificate rotation on a live gateway under load: while one client polls on a keep-alive connection and two open a new connection per request, the Secret changes to a certificate of another CA; no request fails, and new connections see the old issuer, then the new")
    func rotationUnderLoad() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        let gateway = try IngressGatewayFixture(mesh: mesh)
        defer { gateway.certificates.remove() }
        let pki = gateway.certificates
        try pki.makeCA("ca", commonName: "Example Corp CA")
        try pki.makeCA("ca2", commonName: "Example Corp CA 2")
        try pki.makeLeaf("myapp", subjectAltName: "DNS:myapp.company.com")
        try pki.makeLeaf("myapp2", subjectAltName: "DNS:myapp.company.com", ca: "ca2")
        let bundle = pki.path("both.pem")
        try (String(contentsOfFile: pki.path("ca.pem"), encoding: .utf8) + String(contentsOfFile: pki.path("ca2.pem"), encoding: .utf8))
            .write(toFile: bundle, atomically: true, encoding: .utf8)
        try gateway.apply(try gateway.tlsSecret("myapp-tls-cert", leaf: "myapp") + """

        ---
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: myapp-gateway, namespace: istio-system}
        spec:
          selector: {istio: ingressgateway}
          servers:
          - port: {number: 443, name: https, protocol: HTTPS}
            hosts: [myapp.company.com]
            tls: {mode: SIMPLE, credentialName: myapp-tls-cert}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: myapp, namespace: istio-system}
        spec:
          hosts: [myapp.company.com]
          gateways: [myapp-gateway]
          http:
          - route: [{destination: {host: frontend.default.svc.cluster.local, port: {number: 9080}}}]
        """)
        try gateway.startFrontendAndRouter()
        try mesh.waitUntil("HTTPS answers") { (try? gateway.curl(host: "myapp.company.com", options: ["--cacert", pki.path("ca.pem")]).status) == 200 }

        let load = Process()
        load.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        load.arguments = ["python3", MeshHarness.fixtures.appendingPathComponent("https_load.py").path, "myapp.company.com", String(gateway.httpsPort), gateway.address, bundle, "10"]
        let output = Pipe()
        load.standardOutput = output
        try load.run()
        let before = gateway.counter("ssl.handshake")
        try mesh.waitUntil("the load is running") { gateway.counter("ssl.handshake") >= before + 20 }
        try gateway.apply(try gateway.tlsSecret("myapp-tls-cert", leaf: "myapp2"))
        try mesh.waitUntil("the new certificate is served") { (try? gateway.curl(host: "myapp.company.com", options: ["--cacert", pki.path("ca2.pem")]).status) == 200 }
        let said = output.fileHandleForReading.readDataToEndOfFile()
        load.waitUntilExit()
        let report = try JSONSerialization.jsonObject(with: said) as? [String: Any] ?? [:]
        let failures = report["failures"] as? [String: Int] ?? ["no report": 1]
        let issuers = report["issuers"] as? [String: Int] ?? [:]
        #expect(failures.isEmpty && (report["requests"] as? Int ?? 0) > 100, "\(report)")
        #expect(issuers["Example Corp CA", default: 0] > 0 && issuers["Example Corp CA 2", default: 0] > 0, "new connections saw both certificates: \(issuers)")
    }

    @Test("MUTUAL: no client certificate is refused in the handshake (alert certificate required, or handshake failure in TLS 1.2), one from the Secret's ca.crt is let in, one from another CA refused (alert unknown ca); subjectAltNames refuses a client of the right CA with another name; OPTIONAL_MUTUAL serves with and without one; all counted")
    func mutual() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        let gateway = try IngressGatewayFixture(mesh: mesh)
        defer { gateway.certificates.remove() }
        let pki = gateway.certificates
        try pki.makeCA("ca", commonName: "Server CA")
        try pki.makeCA("clients", commonName: "Client CA")
        try pki.makeCA("stranger", commonName: "Another CA")
        try pki.makeLeaf("server", subjectAltName: "DNS:mtls.example.com,DNS:san.example.com,DNS:optional.example.com")
        try pki.makeLeaf("client", subjectAltName: "DNS:client.example.com", ca: "clients")
        try pki.makeLeaf("intruder", subjectAltName: "DNS:intruder.example.com", ca: "clients")
        try pki.makeLeaf("foreign", subjectAltName: "DNS:client.example.com", ca: "stranger")
        try gateway.apply(try gateway.tlsSecret("mtls-cert", leaf: "server", ca: "clients") + """

        ---
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: mtls, namespace: istio-system}
        spec:
          selector: {istio: ingressgateway}
          servers:
          - port: {number: 443, name: https, protocol: HTTPS}
            hosts: [mtls.example.com]
            tls: {mode: MUTUAL, credentialName: mtls-cert}
          - port: {number: 443, name: https-san, protocol: HTTPS}
            hosts: [san.example.com]
            tls: {mode: MUTUAL, credentialName: mtls-cert, subjectAltNames: [client.example.com]}
          - port: {number: 443, name: https-optional, protocol: HTTPS}
            hosts: [optional.example.com]
            tls: {mode: OPTIONAL_MUTUAL, credentialName: mtls-cert}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: mtls, namespace: istio-system}
        spec:
          hosts: ["*.example.com"]
          gateways: [mtls]
          http:
          - route: [{destination: {host: frontend.default.svc.cluster.local, port: {number: 9080}}}]
        """)
        try gateway.startFrontendAndRouter()
        func client(_ name: String) -> [String] { ["--cacert", pki.path("ca.pem"), "--cert", pki.path("\(name).pem"), "--key", pki.path("\(name).key")] }
        try mesh.waitUntil("MUTUAL answers a client of the right CA") { (try? gateway.curl(host: "mtls.example.com", options: client("client")).status) == 200 }

        let accepted = try gateway.curl(host: "mtls.example.com", options: client("client") + ["-H", "X-Forwarded-Client-Cert: By=spiffe://forged;URI=spiffe://forged"])
        #expect(accepted.status == 200 && accepted.body.contains("frontend-v1"), "\(accepted)")
        // The gateway's SANITIZE_SET describes the client's certificate as Istio's gateways do (no By: the
        // credential names no mesh identity; the client's only name is DNS), the forged header gone; the
        // frontend's sidecar appends its mutual TLS peer, the gateway (APPEND_FORWARD).
        let clientHash = try WeftProcess.runTool("openssl", ["x509", "-in", pki.path("client.pem"), "-noout", "-fingerprint", "-sha256"])
            .split(separator: "=", maxSplits: 1).last.map { $0.replacingOccurrences(of: ":", with: "").lowercased().trimmingCharacters(in: .whitespacesAndNewlines) } ?? "?"
        let echoed = (try? JSONSerialization.jsonObject(with: Data(accepted.body.utf8))) as? [String: Any]
        let xfcc = ((echoed?["headers"] as? [String: String])?["x-forwarded-client-cert"]) ?? ""
        #expect(xfcc.hasPrefix("Hash=\(clientHash);Cert=\"-----BEGIN%20CERTIFICATE-----%0A") && xfcc.contains(";Subject=\"CN=client\";DNS=client.example.com,By=spiffe://cluster.local/ns/default/sa/default;Hash=")
                && xfcc.hasSuffix(";URI=spiffe://cluster.local/ns/istio-system/sa/default") && !xfcc.contains("forged"), "\(xfcc)")
        let withoutCertificate = try gateway.curl(host: "optional.example.com", options: ["--cacert", pki.path("ca.pem"), "-H", "X-Forwarded-Client-Cert: By=spiffe://forged"])
        let plainEcho = (try? JSONSerialization.jsonObject(with: Data(withoutCertificate.body.utf8))) as? [String: Any]
        let plainXFCC = ((plainEcho?["headers"] as? [String: String])?["x-forwarded-client-cert"]) ?? ""
        #expect(plainXFCC.hasPrefix("By=spiffe://cluster.local/ns/default/sa/default;Hash=") && !plainXFCC.contains("forged"),
                "no client certificate: the forged header stops at the gateway, the sidecar's element alone: \(plainXFCC)")
        let anonymous = try gateway.curl(host: "mtls.example.com", options: ["--cacert", pki.path("ca.pem")])
        #expect(anonymous.status == 0 && anonymous.exit != 0, "no client certificate: \(anonymous)")
        // TLS 1.3's alert (certificate required) comes after the client's handshake is done, when curl may
        // already be writing, and a reset can take it; TLS 1.2's comes in the handshake, where it is sure.
        let anonymous12 = try gateway.curl(host: "mtls.example.com", options: ["--cacert", pki.path("ca.pem"), "--tls-max", "1.2"])
        #expect(anonymous12.exit == 35 && anonymous12.error.contains("alert handshake failure"), "TLS 1.2's: \(anonymous12.error)")
        let foreign = try gateway.curl(host: "mtls.example.com", options: client("foreign"))
        #expect(foreign.status == 0 && foreign.exit != 0, "a client certificate of another CA: \(foreign)")
        // In TLS 1.2 the alert comes in the handshake; in 1.3 the client may be writing its request when it does.
        let foreign12 = try gateway.curl(host: "mtls.example.com", options: client("foreign") + ["--tls-max", "1.2"])
        #expect(foreign12.exit == 35 && foreign12.error.contains("alert unknown ca"), "Envoy's alert for a certificate of another CA: \(foreign12.error)")
        #expect(try gateway.curl(host: "san.example.com", options: client("client")).status == 200, "the SAN the server asks for")
        let intruder = try gateway.curl(host: "san.example.com", options: client("intruder"))
        #expect(intruder.status == 0 && intruder.exit != 0, "the right CA, another SAN: \(intruder)")

        #expect(try gateway.curl(host: "optional.example.com", options: client("client")).status == 200)
        #expect(try gateway.curl(host: "optional.example.com", options: ["--cacert", pki.path("ca.pem")]).status == 200, "OPTIONAL_MUTUAL without a certificate")
        let optionalForeign = try gateway.curl(host: "optional.example.com", options: client("foreign"))
        #expect(optionalForeign.status == 0, "OPTIONAL_MUTUAL still refuses a certificate it cannot verify: \(optionalForeign)")
        try mesh.waitUntil("the refusals are counted") {
            gateway.counter("ssl.fail_verify_san") >= 1 && gateway.counter("ssl.fail_verify_no_cert") + gateway.counter("ssl.fail_verify_error") + gateway.counter("ssl.connection_error") >= 3
        }
    }

    @Test("PASSTHROUGH: two TLS backends behind one gateway port, each reached by its SNI with the VirtualService tls routes and never terminated (the client verifies the backend's own certificate); a name no route has is closed")
    func passthrough() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        let gateway = try IngressGatewayFixture(mesh: mesh)
        defer { gateway.certificates.remove() }
        let pki = gateway.certificates
        try pki.makeCA("ca", commonName: "Backend CA")
        try pki.makeLeaf("a", subjectAltName: "DNS:a.example.com")
        try pki.makeLeaf("b", subjectAltName: "DNS:b.example.com")
        try gateway.apply("""
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: passthrough, namespace: istio-system}
        spec:
          selector: {istio: ingressgateway}
          servers:
          - port: {number: 443, name: tls, protocol: TLS}
            hosts: [a.example.com, b.example.com, c.example.com]
            tls: {mode: PASSTHROUGH}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: passthrough, namespace: istio-system}
        spec:
          hosts: [a.example.com, b.example.com, c.example.com]
          gateways: [passthrough]
          tls:
          - match: [{port: 443, sniHosts: [a.example.com]}]
            route: [{destination: {host: tls-a.default.svc.cluster.local, port: {number: 8443}}}]
          - match: [{port: 443, sniHosts: [b.example.com]}]
            route: [{destination: {host: tls-b.default.svc.cluster.local, port: {number: 8443}}}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: tls-a}
        spec:
          selector: {app: tls-a}
          ports: [{name: https, port: 8443}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: tls-b}
        spec:
          selector: {app: tls-b}
          ports: [{name: https, port: 8443}]
        """)
        for name in ["a", "b"] {
            try mesh.startApp(name: "tls-\(name)", labels: "app=tls-\(name)", port: 8443,
                              command: ["python3", MeshHarness.fixtures.appendingPathComponent("tls_app.py").path],
                              environment: ["CERT": pki.path("\(name).pem"), "KEY": pki.path("\(name).key")])
        }
        try gateway.startRouter()
        for name in ["a", "b"] {
            try mesh.waitForEndpoints(proxy: "istio-ingressgateway", cluster: "outbound|8443||tls-\(name).default.svc.cluster.local", count: 1)
        }
        let trust = ["--cacert", pki.path("ca.pem")]
        func body(_ host: String) -> String { ((try? gateway.curl(host: host, options: trust).body) ?? "").trimmingCharacters(in: .whitespacesAndNewlines) }
        try mesh.waitUntil("the passthrough routes answer") { body("a.example.com") == "tls-a" }
        #expect(body("a.example.com") == "tls-a")
        #expect(body("b.example.com") == "tls-b")
        let unrouted = try gateway.curl(host: "c.example.com", options: trust)
        #expect(unrouted.status == 0 && unrouted.exit != 0, "a name no tls route has: \(unrouted)")
        #expect(gateway.counter("ssl.handshake") == 0, "the gateway terminated nothing")
    }
}

extension GatewayTLSTests {
    @Test("a TCP server routes by the tcp routes bound to it (a server-first protocol's greeting comes through); a TLS server with SIMPLE terminates and carries what is inside the same way")
    func tcpServers() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        let gateway = try IngressGatewayFixture(mesh: mesh)
        defer { gateway.certificates.remove() }
        let pki = gateway.certificates
        try pki.makeCA("ca", commonName: "Example CA")
        try pki.makeLeaf("greeter", subjectAltName: "DNS:greeter.example.com")
        let tcpPort = gateway.httpPort + 8000, tlsPort = gateway.httpPort + 8001
        try gateway.apply(try gateway.tlsSecret("greeter-cert", leaf: "greeter") + """

        ---
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: tcp, namespace: istio-system}
        spec:
          selector: {istio: ingressgateway}
          servers:
          - port: {number: \(tcpPort), name: tcp, protocol: TCP}
            hosts: ["*"]
          - port: {number: \(tlsPort), name: tls, protocol: TLS}
            hosts: [greeter.example.com]
            tls: {mode: SIMPLE, credentialName: greeter-cert}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: greeter, namespace: istio-system}
        spec:
          hosts: ["*"]
          gateways: [tcp]
          tcp:
          - match: [{port: \(tcpPort)}]
            route: [{destination: {host: greeter.default.svc.cluster.local, port: {number: 2525}}}]
          - match: [{port: \(tlsPort)}]
            route: [{destination: {host: greeter.default.svc.cluster.local, port: {number: 2525}}}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: greeter}
        spec:
          selector: {app: greeter}
          ports: [{name: tcp, port: 2525}]
        """)
        let peers = MeshHarness.fixtures.appendingPathComponent("banner_peers.py").path
        try mesh.startApp(name: "greeter-v1", labels: "app=greeter,version=v1", port: 2525, command: ["python3", peers, "server", "2525"])
        try gateway.startRouter()
        try mesh.waitForEndpoints(proxy: "istio-ingressgateway", cluster: "outbound|2525||greeter.default.svc.cluster.local", count: 1)
        func exchange(_ arguments: [String]) -> [String: String] {
            let output = (try? WeftProcess.runTool("python3", [peers] + arguments)) ?? ""
            return (try? JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: String]) ?? [:]
        }
        try mesh.waitUntil("the TCP server answers") { exchange(["client", gateway.address, String(tcpPort)])["echo"] == "HELLO" }
        let plain = exchange(["client", gateway.address, String(tcpPort)])
        #expect(plain["greeting"] == "220 greeter-v1 ready" && plain["echo"] == "HELLO", "\(plain)")
        let tls = exchange(["tls-client", gateway.address, String(tlsPort), "greeter.example.com", pki.path("ca.pem")])
        #expect(tls["greeting"] == "220 greeter-v1 ready" && tls["echo"] == "HELLO", "\(tls)")
        #expect(gateway.counter("ssl.handshake") >= 1)
    }
}

/// istio.io's ingress-control task (README task 10) with its own YAML and the real httpbin.
@Suite("ingress-control task", .serialized, .enabled(if: BookinfoDemo.corpusPresent, "../shared/istio-corpus is absent: the task's YAML and httpbin.yaml come from it"))
struct IngressControlTaskTests {
    @Test("10 ingress-control: Host httpbin.example.com /status/200 is 200 with server: istio-envoy, /headers 404 and other hosts 404; the wildcard variant serves /headers, echoing the request")
    func ingressControl() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        let gateway = try IngressGatewayFixture(mesh: mesh)
        defer { gateway.certificates.remove() }
        let corpus = BookinfoDemo.corpus
        let applied = try mesh.controlPlane.weft(["apply", "-f", corpus.appendingPathComponent("samples/httpbin/httpbin.yaml").path])
        #expect(applied.status == 0, "\(applied.stderr)")
        let process = Process()
        process.executableURL = WeftProcess.executable
        process.arguments = ["run", "--deployment", "httpbin", "--", "sh", "-c", #"HOME=$(mktemp -d) exec gunicorn -w 1 -b "$WEFT_APP_ADDRESS:8080" httpbin:app"#]
        process.environment = ProcessInfo.processInfo.environment.merging(mesh.environment) { _, new in new }
        try mesh.captureOutput(of: process, name: "httpbin")
        try process.run()
        mesh.adopt(process)
        try gateway.apply(String(contentsOf: corpus.appendingPathComponent("docs-tasks/ingress-control/01-gateway-and-vs-httpbin-example-com.yaml"), encoding: .utf8))
        try gateway.startRouter()
        try mesh.waitForEndpoints(proxy: "istio-ingressgateway", cluster: "outbound|8000||httpbin.default.svc.cluster.local", count: 1, timeout: 30)
        let host = ["-H", "Host:httpbin.example.com"]
        try mesh.waitUntil("httpbin answers through the gateway", timeout: 30) {
            (try? gateway.curl("http", host: gateway.address, path: "/status/200", options: host).status) == 200
        }
        let status = try gateway.curl("http", host: gateway.address, path: "/status/200", options: ["-I"] + host)
        #expect(status.status == 200 && status.headers.lowercased().contains("server: istio-envoy"), "\(status.headers)")
        #expect(try gateway.curl("http", host: gateway.address, path: "/headers", options: host).status == 404)
        #expect(try gateway.curl("http", host: gateway.address, path: "/status/200", options: ["-H", "Host:other.example.com"]).status == 404)

        try gateway.apply(String(contentsOf: corpus.appendingPathComponent("docs-tasks/ingress-control/02-gateway-and-vs-wildcard-headers.yaml"), encoding: .utf8))
        try mesh.waitUntil("the wildcard variant routes /headers") { (try? gateway.curl("http", host: gateway.address, path: "/headers").status) == 200 }
        let headers = try gateway.curl("http", host: gateway.address, path: "/headers", options: ["-H", "X-Browser: yes"])
        #expect(headers.status == 200 && headers.body.contains("X-Browser"), "httpbin echoes the request headers: \(headers.body)")
    }
}

/// One keep-alive HTTPS connection (Python's http.client), held open across a test's steps.
final class HeldHTTPSConnection {
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()

    init(host: String, port: Int, address: String, ca: String) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-u", "-c", """
        import http.client, socket, ssl, sys
        context = ssl.create_default_context(cafile=sys.argv[4])
        raw = socket.create_connection((sys.argv[3], int(sys.argv[2])))
        connection = http.client.HTTPSConnection(sys.argv[1], int(sys.argv[2]), context=context)
        connection.sock = context.wrap_socket(raw, server_hostname=sys.argv[1])
        for line in sys.stdin:
            connection.request("GET", line.strip())
            body = connection.getresponse().read().decode()
            print(body.replace("\\n", " "), flush=True)
        """, host, String(port), address, ca]
        process.standardInput = input
        process.standardOutput = output
        try process.run()
    }

    /// The body of GET `path` on the held connection ("" when it is gone).
    func get(_ path: String) -> String {
        guard (try? input.fileHandleForWriting.write(contentsOf: Data((path + "\n").utf8))) != nil else { return "" }
        var line = Data()
        while true {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        return String(decoding: line, as: UTF8.self)
    }

    func close() {
        try? input.fileHandleForWriting.close()
        // SIGKILL: a child of the test runner inherits its blocked signals, SIGTERM among them.
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
