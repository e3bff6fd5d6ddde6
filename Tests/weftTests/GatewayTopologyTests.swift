import Foundation
import Testing

/// istio.io's "Configuring Gateway Network Topology" example on this host: MeshConfig
/// `defaultConfig.gatewayTopology.numTrustedProxies: 2` applied before the ingress gateway starts,
/// the real httpbin behind the corpus's `httpbin-gateway.yaml`, curl sending the task's
/// `X-Forwarded-For`. The gateway trusts the second address from the right: httpbin sees it as
/// `X-Envoy-External-Address`, and an AuthorizationPolicy's `remoteIpBlocks` at the gateway reads it.
@Suite("gateway network topology: numTrustedProxies", .serialized,
       .enabled(if: BookinfoDemo.corpusPresent, "../shared/istio-corpus is absent: httpbin's sample and gateway come from it"))
struct GatewayTopologyTests {
    static let forwardedFor = "56.5.6.7, 72.9.5.6, 98.1.2.3"

    /// httpbin's `/get?show_env=true` through the gateway: the status and the request headers it saw.
    static func headersAtHttpbin(_ address: String, forwardedFor: String?, extra: [String] = []) throws -> (status: Int, headers: [String: String]) {
        let (status, body) = try Curl.get("http://\(address)/get?show_env=true", headers: (forwardedFor.map { ["X-Forwarded-For: \($0)"] } ?? []) + extra)
        let object = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
        return (status, (object?["headers"] as? [String: String]) ?? [:])
    }

    @Test("X-Envoy-External-Address is the address 2 proxies in front saw (72.9.5.6), the peer when fewer are listed; remoteIpBlocks at the gateway allow by it")
    func trustedProxies() throws {
        let mesh = try MutualTLSMesh(namespaces: ["httpbin"])
        let accessLog = FileManager.default.temporaryDirectory.appendingPathComponent("weft-topology-\(UUID().uuidString).log")
        defer {
            mesh.stop()
            try? FileManager.default.removeItem(at: accessLog)
        }
        try mesh.apply("""
            apiVersion: v1
            kind: Namespace
            metadata: {name: istio-system}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: istio, namespace: istio-system}
            data:
              mesh: |
                accessLogFile: \(accessLog.path)
                accessLogEncoding: JSON
                defaultConfig:
                  gatewayTopology:
                    numTrustedProxies: 2
            """)
        let applied = try mesh.mesh.controlPlane.weft(["apply", "-n", "httpbin", "-f", BookinfoDemo.corpus.appendingPathComponent("samples/httpbin/httpbin-gateway.yaml").path])
        #expect(applied.status == 0, "\(applied.stderr)")
        // The topology is read when the gateway starts, as Istio's gateways read it from their bootstrap.
        let address = try mesh.mesh.startIngressRouter()
        try mesh.waitUntil("the gateway routes to httpbin", timeout: 30) { (try? Self.headersAtHttpbin(address, forwardedFor: nil).status) == 200 }

        let behind = try Self.headersAtHttpbin(address, forwardedFor: Self.forwardedFor)
        #expect(behind.status == 200)
        #expect(behind.headers["X-Envoy-External-Address"] == "72.9.5.6", "the second address from the right: \(behind.headers)")
        #expect(behind.headers["X-Forwarded-For"] == Self.forwardedFor + ", 127.0.0.1",
                "the gateway appends the address it was called from; httpbin's sidecar adds none (istio/istio#43833 shows the same): \(behind.headers)")
        // The gateway's access log names the client it trusts, as Envoy logs an address read from X-Forwarded-For.
        try mesh.waitUntil("the gateway logs 72.9.5.6 as the downstream remote address") {
            let lines = ((try? String(contentsOf: accessLog, encoding: .utf8)) ?? "").split(separator: "\n")
            return lines.contains { line in
                let entry = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
                return entry?["downstream_remote_address"] as? String == "72.9.5.6:0" && (entry?["upstream_cluster"] as? String)?.hasPrefix("outbound|8000||httpbin.") == true
            }
        }
        let renamed = try Self.headersAtHttpbin(address, forwardedFor: nil, extra: ["X-Request-Id: client-chosen"])
        #expect(renamed.headers["X-Request-Id"].map { $0 != "client-chosen" && $0.count == 36 } == true,
                "an edge request's id is the gateway's own (Envoy's preserve_external_request_id is off in Istio): \(renamed.headers)")
        let direct = try Self.headersAtHttpbin(address, forwardedFor: "98.1.2.3")
        #expect(direct.headers["X-Envoy-External-Address"] == "127.0.0.1", "one entry for two trusted proxies: the peer is the client: \(direct.headers)")

        try mesh.apply("""
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: ingress-policy, namespace: istio-system}
            spec:
              selector:
                matchLabels: {istio: ingressgateway}
              action: ALLOW
              rules:
              - from:
                - source:
                    remoteIpBlocks: ["72.9.5.0/24"]
            """)
        try mesh.waitUntil("the policy denies a client outside the block") {
            (try? Self.headersAtHttpbin(address, forwardedFor: "56.5.6.7, 10.9.9.9, 98.1.2.3").status) == 403
        }
        #expect(try Self.headersAtHttpbin(address, forwardedFor: Self.forwardedFor).status == 200, "72.9.5.6 is in the allowed block")
        #expect(try Self.headersAtHttpbin(address, forwardedFor: nil).status == 403, "without the header the client is the peer, 127.0.0.1")
        #expect(try Self.headersAtHttpbin(address, forwardedFor: "72.9.5.6").status == 403,
                "an address a client writes where only the trusted proxies write is not believed (one entry: the peer decides)")
    }
}
