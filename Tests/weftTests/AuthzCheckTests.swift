import Foundation
import Testing

/// `weft x authz check POD`: the policies that apply, and one request evaluated by the proxy's
/// engine, agreeing with what the sidecar does with the same request for real.
@Suite("weft x authz check")
struct AuthzCheckTests {
    @Test("lists the workload's policies and rules; --request gives the decision and the deciding policy and rule, as the sidecar decides for real; denials and dry-run shadow denials logged with their policy and counted")
    func authzCheck() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: MeshFixtures.reviewsService + "\n---\n" + """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: reviews-viewer}
        spec:
          selector: {matchLabels: {app: reviews}}
          rules:
          - from: [{source: {principals: ["cluster.local/ns/default/sa/bookinfo-productpage"]}}]
          - from: [{source: {principals: ["cluster.local/ns/default/sa/default"]}}]
            to: [{operation: {methods: ["GET"], paths: ["/reviews/*"]}}]
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: no-admin}
        spec:
          action: DENY
          rules: [{to: [{operation: {paths: ["/admin*"]}}]}]
        """).status == 0)
        try mesh.startEcho(name: "reviews-v1", labels: "app=reviews,version=v1", runArguments: ["--log-level", "info"])
        let client = try mesh.startClient()
        try mesh.waitForEndpoints(proxy: "client", count: 1)
        let proxy = try #require(try mesh.controlPlane.proxies().first { $0.id.hasPrefix("reviews-v1-") }?.id)

        let listed = try mesh.controlPlane.weft(["x", "authz", "check", proxy])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.contains("ALLOW") && listed.stdout.contains("default/reviews-viewer") && listed.stdout.contains("DENY") && listed.stdout.contains("default/no-admin"), "\(listed.stdout)")
        #expect(listed.stdout.contains("from.principals=cluster.local/ns/default/sa/default to.methods=GET to.paths=/reviews/*"), "\(listed.stdout)")

        func check(_ request: String, from: String? = "default/default") throws -> String {
            let result = try mesh.controlPlane.weft(["x", "authz", "check", proxy, "--request", request] + (from.map { ["--from", $0] } ?? []))
            return result.stdout.split(separator: "\n").last.map(String.init) ?? result.stderr
        }
        #expect(try check("GET /reviews/0") == "GET /reviews/0: ALLOW by default/reviews-viewer, rule 1")
        #expect(try check("POST /reviews/0") == "POST /reviews/0: DENY no ALLOW policy matched")
        #expect(try check("GET /admin", from: "default/bookinfo-productpage") == "GET /admin: DENY by default/no-admin, rule 0")
        #expect(try check("GET /reviews/0", from: nil) == "GET /reviews/0: DENY no ALLOW policy matched", "a plaintext caller has no principal")

        // The sidecar decides the same for the client's real requests (over mutual TLS, as sa/default).
        #expect(try mesh.curl(through: client, "http://reviews:9080/reviews/0").0 == 200)
        let posted = try WeftProcess.runTool("curl", ["-s", "-m", "10", "-x", "http://\(client):15001", "-X", "POST", "-w", " %{http_code}", "http://reviews:9080/reviews/0"])
        #expect(posted == "RBAC: access denied 403", "\(posted)")
        let adminPath = try WeftProcess.runTool("curl", ["-s", "-m", "10", "-x", "http://\(client):15001", "-w", " %{http_code}", "http://reviews:9080/admin"])
        #expect(adminPath == "RBAC: access denied 403", "\(adminPath)")
        // At info level (the default is warning, as Istio's proxies), each denial is logged with the policy and rule that decided, as Envoy's RBAC filter logs it at debug.
        func logged() -> Bool {
            let log = mesh.output(of: "reviews-v1")
            return log.contains("rbac: enforced denied, no ALLOW policy matched") && log.contains("rbac: enforced denied, matched policy default/no-admin rule 0")
                && log.contains("cluster.local/ns/default/sa/default")
        }
        let deadline = Date().addingTimeInterval(10)
        while !logged() && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(logged(), "the sidecar's log:\n\(mesh.output(of: "reviews-v1").suffix(3000))")

        // istio.io/dry-run: the DENY is logged and counted as a shadow decision, never enforced.
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata:
          name: deny-reviews-1
          annotations: {"istio.io/dry-run": "true"}
        spec:
          selector: {matchLabels: {app: reviews}}
          action: DENY
          rules: [{to: [{operation: {paths: ["/reviews/1"]}}]}]
        """).status == 0)
        let simulated = try mesh.controlPlane.weft(["x", "authz", "check", proxy, "--request", "GET /reviews/1", "--from", "default/default"])
        #expect(simulated.stdout.hasSuffix("GET /reviews/1: ALLOW by default/reviews-viewer, rule 1\nwith dry-run policies: DENY by default/deny-reviews-1\n"), "\(simulated.stdout)")
        func shadowLogged() -> Bool { mesh.output(of: "reviews-v1").contains("rbac: shadow denied, matched policy default/deny-reviews-1 rule 0") }
        let shadowDeadline = Date().addingTimeInterval(20)
        while !shadowLogged() && Date() < shadowDeadline {
            #expect(try mesh.curl(through: client, "http://reviews:9080/reviews/1").0 == 200, "a dry-run DENY is not enforced")
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(try mesh.curl(through: client, "http://reviews:9080/reviews/1").0 == 200, "a dry-run DENY is not enforced")
        #expect(shadowLogged(), "the sidecar's log:\n\(mesh.output(of: "reviews-v1").suffix(3000))")
        let admin = try #require(try mesh.controlPlane.proxies().first { $0.id == proxy }?.adminAddress)
        let stats = String(decoding: try Data(contentsOf: URL(string: "http://\(admin)/stats")!), as: UTF8.self)
        #expect(stats.contains("rbac.shadow_denied: ") && stats.contains("rbac.denied.default/no-admin: 1"), "\(stats)")
    }
}
