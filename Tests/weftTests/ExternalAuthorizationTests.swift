import Foundation
import Testing

/// istio.io's "External Authorization" task on this host, with its HTTP provider: MeshConfig's
/// `envoyExtAuthzHttp` provider `sample-ext-authz-http` (the ext-authz Service, port 8000,
/// `includeRequestHeadersInCheck: [x-ext-authz]`) and a CUSTOM AuthorizationPolicy on the app for
/// `/headers`; the authorizer is a stand-in for Istio's ext-authz sample (Tests/Fixtures/ext_authz.py)
/// with a sidecar, the namespace under STRICT mutual TLS (so the check goes over mutual TLS).
@Suite("external authorization (CUSTOM)", .serialized)
struct ExternalAuthorizationTests {
    static let denial = "denied by ext_authz for not found header `x-ext-authz: allow` in the request"

    /// The task's CUSTOM policy on reviews' `/headers`, asking `provider`.
    static func customPolicyYAML(_ provider: String) -> String {
        """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: ext-authz, namespace: default}
        spec:
          selector: {matchLabels: {app: reviews}}
          action: CUSTOM
          provider: {name: \(provider)}
          rules:
          - to: [{operation: {paths: ["/headers"]}}]
        """
    }

    @Test("/headers with x-ext-authz: deny is the authorizer's 403 and body; allow reaches the app with the authorizer's header; other paths are not checked; checks share kept-alive connections; includeRequestBodyInCheck carries the body (partial, or 413 past the limit); the check carries the method, path and the headers let through; a provider that is not an authorizer fails closed")
    func customPolicy() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        let checks = FileManager.default.temporaryDirectory.appendingPathComponent("weft-ext-authz-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: checks) }
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: MeshFixtures.reviewsService + "\n---\n" + """
            apiVersion: v1
            kind: Service
            metadata: {name: ext-authz}
            spec:
              selector: {app: ext-authz}
              ports: [{name: http, port: 8000}]
            ---
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: default, namespace: default}
            spec:
              mtls: {mode: STRICT}
            """ + "\n---\n" + AccessLogTests.configMap("""
            extensionProviders:
            - name: sample-ext-authz-http
              envoyExtAuthzHttp:
                service: ext-authz.default.svc.cluster.local
                port: "8000"
                includeRequestHeadersInCheck: [x-ext-authz]
                headersToUpstreamOnAllow: [x-ext-authz-check-result]
                includeAdditionalHeadersInCheck: {x-checked-by: weft}
            - name: not-an-authorizer
              zipkin: {service: zipkin.istio-system.svc.cluster.local, port: 9411}
            - name: with-partial-body
              envoyExtAuthzHttp:
                service: ext-authz.default.svc.cluster.local
                port: "8000"
                includeRequestHeadersInCheck: [x-ext-authz]
                includeRequestBodyInCheck: {maxRequestBytes: 16, allowPartialMessage: true}
            - name: with-whole-body
              envoyExtAuthzHttp:
                service: ext-authz.default.svc.cluster.local
                port: "8000"
                includeRequestHeadersInCheck: [x-ext-authz]
                includeRequestBodyInCheck: {maxRequestBytes: 16}
            """)).status == 0)
        try mesh.startApp(name: "ext-authz-v1", labels: "app=ext-authz", port: 8000,
                          command: ["python3", MeshHarness.fixtures.appendingPathComponent("ext_authz.py").path, "8000"], environment: ["CHECKS_FILE": checks.path])
        try mesh.startEcho(name: "reviews-v1", labels: "app=reviews,version=v1")
        let client = try mesh.startClient()
        try mesh.waitForEndpoints(proxy: "reviews-v1-", cluster: "outbound|8000||ext-authz.default.svc.cluster.local", count: 1)
        try mesh.waitForEndpoints(proxy: "client-", count: 1)
        let policy = Self.customPolicyYAML
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: policy("sample-ext-authz-http")).status == 0)
        func call(_ path: String, _ header: String?) throws -> (status: Int, body: String) {
            let answer = try mesh.curl(through: client, "http://reviews:9080\(path)", headers: (header.map { ["x-ext-authz: \($0)"] } ?? []) + ["authorization: Bearer t0k3n", "x-other: secret"])
            return (answer.0, answer.1)
        }
        try mesh.waitUntil("the policy takes effect") { (try? call("/headers", "deny").status) == 403 }

        let denied = try call("/headers", "deny")
        #expect(denied.status == 403 && denied.body == Self.denial, "\(denied)")
        let allowed = try call("/headers", "allow")
        #expect(allowed.status == 200, "\(allowed)")
        let seen = ((try? JSONSerialization.jsonObject(with: Data(allowed.body.utf8))) as? [String: Any])?["headers"] as? [String: String] ?? [:]
        #expect(seen["x-ext-authz-check-result"] == "allowed", "headersToUpstreamOnAllow reaches the app: \(seen)")
        #expect(try call("/ip", nil).status == 200, "a path the policy does not name is not checked")
        for _ in 0..<6 { #expect(try call("/headers", "allow").status == 200) }

        let recorded = ((try? String(contentsOf: checks, encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
        #expect(!recorded.isEmpty && recorded.allSatisfy { $0["path"] as? String == "/headers" && $0["method"] as? String == "GET" }, "\(recorded)")
        let headers = recorded.last?["headers"] as? [String: String] ?? [:]
        #expect(headers["x-ext-authz"] == "allow" && headers["authorization"] == "Bearer t0k3n" && headers["host"] == "reviews:9080", "\(headers)")
        #expect(headers["x-checked-by"] == "weft", "includeAdditionalHeadersInCheck: \(headers)")
        #expect(headers["x-other"] == nil, "a header the provider does not let through stays out of the check: \(headers)")
        #expect(headers["x-forwarded-client-cert"]?.contains("URI=spiffe://cluster.local/ns/default/sa/default") == true,
                "under STRICT the check went over mutual TLS, the authorizer's sidecar saw the reviews sidecar's certificate: \(headers)")
        let stats = try WeftProcess.runTool("curl", ["-s", "--noproxy", "*", "http://\(try #require(try mesh.controlPlane.proxies().first { $0.id.hasPrefix("reviews-v1-") }?.podIP)):15000/stats"])
        #expect(stats.contains("ext_authz.ok: ") && stats.contains("ext_authz.denied: "), "\(stats.split(separator: "\n").filter { $0.contains("ext_authz") })")
        // Checks go on kept-alive connections, as Envoy keeps its ext_authz cluster's: a mutual TLS
        // handshake to the authorizer a loop (the sidecar runs two), not one a check.
        let handshakes = stats.split(separator: "\n").first { $0.hasPrefix("cluster.outbound|8000||ext-authz.default.svc.cluster.local.ssl.handshake: ") }
            .flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
        #expect((1...2).contains(handshakes) && recorded.count >= 8, "\(recorded.count) checks over \(handshakes) handshakes")

        // includeRequestBodyInCheck: the check waits for the body and carries it, cut to maxRequestBytes
        // (x-envoy-auth-partial-body: true) when partial messages are allowed, else a longer body is 413.
        func post(_ body: String) throws -> (status: Int, bodyLength: Int) {
            let output = try WeftProcess.runTool("curl", ["-s", "-m", "10", "-x", "http://\(client):15001", "-w", "\n%{http_code}",
                                                          "-H", "x-ext-authz: allow", "-H", "content-type: text/plain", "--data-binary", body, "http://reviews:9080/headers"])
            let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
            let echoed = (try? JSONSerialization.jsonObject(with: Data(lines.dropLast().joined(separator: "\n").utf8))) as? [String: Any]
            return (Int(lines.last ?? "") ?? 0, echoed?["body_length"] as? Int ?? -1)
        }
        func lastCheck() -> [String: Any] {
            ((try? String(contentsOf: checks, encoding: .utf8)) ?? "").split(separator: "\n").last
                .flatMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] } ?? [:]
        }
        let long = "0123456789abcdefghijklmnopqrstuvwxyzABCD"
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: policy("with-partial-body")).status == 0)
        try mesh.waitUntil("the body-carrying provider's policy takes effect") {
            (try? post(long)).map { $0.status == 200 } == true && lastCheck()["body"] as? String == String(long.prefix(16))
        }
        #expect(try post(long) == (200, 40), "the app gets the whole body")
        #expect((lastCheck()["headers"] as? [String: String])?["x-envoy-auth-partial-body"] == "true", "\(lastCheck())")
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: policy("with-whole-body")).status == 0)
        try mesh.waitUntil("the whole-body provider's policy takes effect") { (try? post(long).status) == 413 }
        #expect(try post("short body") == (200, 10))
        #expect(lastCheck()["body"] as? String == "short body" && (lastCheck()["headers"] as? [String: String])?["x-envoy-auth-partial-body"] == "false",
                "\(lastCheck())")

        // A provider that is not an authorizer fails closed for what the policy matches, as Istio does for a provider it cannot use.
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: policy("not-an-authorizer")).status == 0)
        try mesh.waitUntil("the unusable provider's policy takes effect") { (try? call("/headers", "allow").status) == 403 }
        #expect(try call("/ip", nil).status == 200)
    }
}

extension ExternalAuthorizationTests {
    @Test("at the ingress gateway: a CUSTOM policy selecting the gateway asks the authorizer for what reaches it, as istio.io applies ext_authz at the edge")
    func atTheGateway() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        let gateway = try IngressGatewayFixture(mesh: mesh)
        defer { gateway.certificates.remove() }
        let checks = FileManager.default.temporaryDirectory.appendingPathComponent("weft-ext-authz-gw-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: checks) }
        try gateway.apply("""
            apiVersion: v1
            kind: Service
            metadata: {name: ext-authz, namespace: default}
            spec:
              selector: {app: ext-authz}
              ports: [{name: http, port: 8000}]
            ---
            """ + "\n" + AccessLogTests.configMap("""
            extensionProviders:
            - name: sample-ext-authz-http
              envoyExtAuthzHttp: {service: ext-authz.default.svc.cluster.local, port: "8000", includeRequestHeadersInCheck: [x-ext-authz]}
            """) + "\n---\n" + """
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: frontend, namespace: istio-system}
            spec:
              selector: {istio: ingressgateway}
              servers:
              - port: {number: 80, name: http, protocol: HTTP}
                hosts: [frontend.example.com]
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
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: ext-authz-ingress, namespace: istio-system}
            spec:
              selector: {matchLabels: {istio: ingressgateway}}
              action: CUSTOM
              provider: {name: sample-ext-authz-http}
              rules:
              - to: [{operation: {paths: ["/private/*"]}}]
            """)
        try mesh.startApp(name: "ext-authz-v1", labels: "app=ext-authz", port: 8000,
                          command: ["python3", MeshHarness.fixtures.appendingPathComponent("ext_authz.py").path, "8000"], environment: ["CHECKS_FILE": checks.path])
        try gateway.startFrontendAndRouter()
        try mesh.waitForEndpoints(proxy: "istio-ingressgateway", cluster: "outbound|8000||ext-authz.default.svc.cluster.local", count: 1)
        func call(_ path: String, _ header: String?) throws -> IngressGatewayFixture.Answer {
            try gateway.curl("http", host: "frontend.example.com", path: path, options: header.map { ["-H", "x-ext-authz: \($0)"] } ?? [])
        }
        try mesh.waitUntil("the gateway asks the authorizer") { (try? call("/private/a", "deny").status) == 403 }
        let denied = try call("/private/a", "deny")
        #expect(denied.status == 403 && denied.body == Self.denial, "\(denied.status) \(denied.body)")
        #expect(try call("/private/a", "allow").status == 200)
        #expect(try call("/public", nil).status == 200, "a path the policy does not name is not checked")
        #expect(gateway.counter("ext_authz.denied") >= 1 && gateway.counter("ext_authz.ok") >= 1)
    }
}
