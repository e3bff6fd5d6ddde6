import Foundation
import Testing

/// Where the control plane may fetch a jwksUri from: `BLOCKED_CIDRS_IN_JWKS_URIS` honoured on every
/// address a name resolves to, link-local and metadata addresses never dialled, a bad setting refused.
@Suite("jwksUri address policy")
struct JWKSAddressPolicyTests {
    @Test("BLOCKED_CIDRS_IN_JWKS_URIS=127.0.0.0/8 refuses a loopback jwksUri, by address and by name; 169.254.169.254 is never dialled; a range that does not parse stops the control plane with its name")
    func blockedRanges() throws {
        let silent = try SilentListener()
        defer { silent.close() }
        let controlPlane = try ControlPlaneProcess(environment: ["BLOCKED_CIDRS_IN_JWKS_URIS": "10.0.0.0/8, 127.0.0.0/8,fd00::/8"])
        defer { controlPlane.stop() }
        // Each endpoint would only time out if dialled: a refusal that names the range proves it never was.
        let applied = try controlPlane.weft(["apply", "-f", "-"], stdin: """
        apiVersion: security.istio.io/v1
        kind: RequestAuthentication
        metadata: {name: loopback, namespace: default}
        spec:
          jwtRules:
          - {issuer: by-address, jwksUri: "http://127.0.0.1:\(silent.port)/jwks.json", timeout: 30s}
          - {issuer: by-name, jwksUri: "http://localhost:\(silent.port)/jwks.json", timeout: 30s}
          - {issuer: metadata, jwksUri: "http://169.254.169.254/latest/jwks.json", timeout: 30s}
        """)
        #expect(applied.status == 0, "\(applied.stderr)")
        func report() -> String {
            (try? String(decoding: Data(contentsOf: URL(string: controlPlane.url + "/api/v1/jwks")!), as: UTF8.self)) ?? ""
        }
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, report().components(separatedBy: "lastError").count < 4 { Thread.sleep(forTimeInterval: 0.05) }
        let text = report()
        #expect(text.contains("127.0.0.1 is in 127.0.0.0/8, which BLOCKED_CIDRS_IN_JWKS_URIS blocks"), "\(text)")
        #expect(text.contains("localhost resolves to"), "the name is resolved and its address checked: \(text)")
        #expect(text.contains("169.254.169.254 is link-local or a metadata address (169.254.0.0/16)"), "\(text)")
        #expect(!text.contains("no answer from"), "nothing was dialled: \(text)")

        let bad = try WeftProcess.run(["control-plane", "--data-dir", NSTemporaryDirectory() + "weft-cidr-\(UUID().uuidString)", "--http-address", "127.0.0.1:0",
                                       "--discovery-address", "127.0.0.1:0"], environment: ["BLOCKED_CIDRS_IN_JWKS_URIS": "10.0.0.0/8,10.0.0.0/33"])
        #expect(bad.status != 0 && bad.stderr.contains("BLOCKED_CIDRS_IN_JWKS_URIS: \"10.0.0.0/33\" is not a CIDR range"), "\(bad.stderr)")
    }
}
