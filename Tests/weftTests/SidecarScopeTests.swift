import Foundation
import Testing

/// A Sidecar resource scopes what a running proxy is sent, as `weft proxy-config clusters` shows.
@Suite("Sidecar scoping end to end", .serialized)
struct SidecarScopeTests {
    @Test("a namespace's Sidecar with ./* limits its proxies' clusters to their namespace; removing it restores the rest")
    func scopedClusters() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: MeshFixtures.reviewsService + "\n---\n" + """
        apiVersion: v1
        kind: Namespace
        metadata: {name: other}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: httpbin, namespace: other}
        spec: {selector: {app: httpbin}, ports: [{name: http, port: 8000}]}
        ---
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: default, namespace: default}
        spec:
          egress: [{hosts: ["./*"]}]
        """).status == 0)
        _ = try mesh.startClient(name: "scoped")
        let id = try #require(try mesh.controlPlane.proxies().first { $0.id.hasPrefix("scoped-") }?.id)
        let scoped = try mesh.controlPlane.weft(["proxy-config", "clusters", id])
        #expect(scoped.stdout.contains("outbound|9080||reviews.default.svc.cluster.local"), "\(scoped.stdout)")
        #expect(!scoped.stdout.contains("httpbin.other"), "the Sidecar hides other namespaces: \(scoped.stdout)")

        #expect(try mesh.controlPlane.weft(["delete", "sidecar", "default", "-n", "default"]).status == 0)
        var restored = ""
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            restored = try mesh.controlPlane.weft(["proxy-config", "clusters", id]).stdout
            if restored.contains("httpbin.other") { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(restored.contains("outbound|8000||httpbin.other.svc.cluster.local"), "\(restored)")
    }
}
