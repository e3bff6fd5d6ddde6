import Foundation
import Testing

/// `weft authn tls-check POD [SERVICE]`, as the seed shows it: OK under auto mTLS, the policy that
/// decided, and CONFLICT where a DestinationRule disables TLS toward a STRICT server.
@Suite("weft authn tls-check")
struct TLSCheckTests {
    @Test("auto mTLS → OK PERMISSIVE ISTIO_MUTUAL -; namespace STRICT → OK STRICT ISTIO_MUTUAL default/default; DestinationRule DISABLE → CONFLICT")
    func tlsCheck() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: MeshFixtures.reviewsService).status == 0)
        try mesh.startEcho(name: "reviews-v1", labels: "app=reviews,version=v1")
        _ = try mesh.startClient()
        try mesh.waitForEndpoints(proxy: "client", count: 1)
        let proxy = try #require(try mesh.controlPlane.proxies().first { $0.id.hasPrefix("client-") }?.id)
        func line() throws -> [String] {
            let result = try mesh.controlPlane.weft(["authn", "tls-check", proxy, "reviews"])
            #expect(result.status == 0, "\(result.stderr)")
            let lines = result.stdout.split(separator: "\n")
            #expect(lines.first?.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") == "HOST:PORT STATUS SERVER CLIENT AUTHN POLICY")
            return lines.dropFirst().first?.split(separator: " ").map(String.init) ?? []
        }
        #expect(try line() == ["reviews.default.svc.cluster.local:9080", "OK", "PERMISSIVE", "ISTIO_MUTUAL", "-"])
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: """
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: default, namespace: default}
        spec: {mtls: {mode: STRICT}}
        """).status == 0)
        #expect(try line() == ["reviews.default.svc.cluster.local:9080", "OK", "STRICT", "ISTIO_MUTUAL", "default/default"])
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews}
        spec: {host: reviews, trafficPolicy: {tls: {mode: DISABLE}}}
        """).status == 0)
        #expect(try line() == ["reviews.default.svc.cluster.local:9080", "CONFLICT", "STRICT", "DISABLE", "default/default"])
        #expect(try mesh.controlPlane.weft(["authn", "tls-check", "no-such-proxy"]).status == 1)
    }
}
