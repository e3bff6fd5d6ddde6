import Foundation
import Testing

/// `CONNECT` through the sidecar's outbound proxy, as clients that tunnel (curl -p, HTTPS_PROXY) send it.
@Suite("CONNECT tunnels through the sidecar")
struct TunnelTests {
    @Test("CONNECT reviews:9080 is routed to a reviews endpoint and spliced; a refused endpoint gets 503 UF; counted")
    func connectTunnel() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        let closedPort = Int.random(in: 50000...59000)
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: MeshFixtures.reviewsService + "\n---\n" + """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: closed}
        spec:
          hosts: [closed.test]
          resolution: STATIC
          ports: [{number: \(closedPort), name: http, protocol: HTTP}]
          endpoints: [{address: 127.0.0.1}]
        """).status == 0)
        try mesh.startEcho(name: "reviews-v1", labels: "app=reviews,version=v1")
        let client = try mesh.startClient()
        try mesh.waitForEndpoints(proxy: "client", count: 1)

        // curl -p: CONNECT reviews:9080 first, then the request inside the tunnel.
        let tunnelled = try BookinfoDemo.run("/usr/bin/env", ["curl", "-s", "-m", "10", "-p", "-x", "http://\(client):15001", "-w", "\n%{http_code}", "http://reviews:9080/reviews/0"])
        #expect(tunnelled.hasSuffix("200") && tunnelled.contains("reviews-v1"), "\(tunnelled)")
        let refused = try BookinfoDemo.run("/usr/bin/env", ["curl", "-s", "-m", "10", "-p", "-x", "http://\(client):15001", "-w", "%{http_connect}", "-o", "/dev/null", "http://closed.test:\(closedPort)/"])
        #expect(refused == "503", "\(refused)")
        let stats = String(decoding: try Data(contentsOf: URL(string: "http://\(client):15000/stats")!), as: UTF8.self)
        #expect(stats.contains("downstream_cx_tunnel: 1"), "\(stats)")
        #expect(stats.contains("cluster.outbound|9080||reviews.default.svc.cluster.local.upstream_cx_tunnel: 1"), "\(stats)")
        #expect(stats.contains("cluster.outbound|\(closedPort)||closed.test.upstream_cx_connect_fail: 1"), "\(stats)")
    }
}
