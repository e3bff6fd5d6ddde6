import Foundation
import Testing

/// `weft x authz check POD`: the policies that apply, and one request evaluated by the proxy's
/// engine, agreeing with what the sidecar does with the same request for real.
@Suite("weft x authz check")
struct AuthzCheckTests {
    @Test("lists the workload's policies and rules; --request gives the decision and the deciding policy and rule, as the sidecar decides for real")
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
        try mesh.startEcho(name: "reviews-v1", labels: "app=reviews,version=v1")
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
    }
}
