import Foundation
import Testing

/// Who may be whom, and who may change the mesh: the config API wants the administrator's
/// credential for writes and Secrets (the CLI finds it on this host without flags), and a workload
/// token gets a certificate for its own identity only.
@Suite("credentials")
struct CredentialTests {
    /// `curl` against the config API; returns (status, body).
    static func curl(_ arguments: [String]) throws -> (Int, String) {
        let output = try WeftProcess.runTool("curl", ["-s", "-m", "10", "-w", "\n%{http_code}"] + arguments)
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }

    static let service = "apiVersion: v1\nkind: Service\nmetadata: {name: intruder}\nspec: {selector: {app: intruder}, ports: [{name: http, port: 80}]}\n"

    @Test("the config API: no credential or a forged one is 401 and changes nothing, a workload's is 403; Secrets are shown to the administrator only; the CLI needs no flag")
    func configAPI() throws {
        let controlPlane = try ControlPlaneProcess()
        defer { _ = controlPlane.stop() }
        let (status, body) = try Self.curl(["-X", "POST", "--data-binary", Self.service, "\(controlPlane.url)/api/v1/apply"])
        #expect(status == 401 && body.contains("no credential"), "\(status) \(body)")
        let forged = try Self.curl(["-X", "POST", "-H", "Authorization: Bearer weft1.e30.AAAA", "--data-binary", Self.service, "\(controlPlane.url)/api/v1/apply"])
        #expect(forged.0 == 401, "\(forged)")
        let deleted = try Self.curl(["-X", "DELETE", "\(controlPlane.url)/api/v1/resources?kind=Service&namespace=default&name=intruder"])
        #expect(deleted.0 == 401)
        #expect(try controlPlane.weft(["get", "service", "intruder"]).stdout.contains("intruder") == false, "nothing was applied")

        // The CLI finds this host's administrator credential by itself.
        #expect(try controlPlane.weft(["apply", "-f", "-"], stdin: Self.service + "---\napiVersion: v1\nkind: Secret\nmetadata: {name: tls-key}\ndata: {key: c2VjcmV0}\n").status == 0)
        let token = try controlPlane.weft(["token", "create", "-n", "default", "--service-account", "sleep", "--ttl", "1h"])
        #expect(token.status == 0 && token.stdout.hasPrefix("weft1."), "\(token.stderr)")
        let workload = token.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let asWorkload = try Self.curl(["-X", "POST", "-H", "Authorization: Bearer \(workload)", "--data-binary", Self.service, "\(controlPlane.url)/api/v1/apply"])
        #expect(asWorkload.0 == 403, "\(asWorkload)")
        #expect(try Self.curl(["-X", "POST", "--data-binary", "{\"namespace\":\"default\",\"serviceAccount\":\"admin\"}", "\(controlPlane.url)/api/v1/tokens"]).0 == 401)

        // Secrets: refused by name, left out of a listing of everything.
        #expect(try Self.curl(["\(controlPlane.url)/api/v1/resources?kind=Secret"]).0 == 401)
        let everything = try Self.curl(["\(controlPlane.url)/api/v1/resources"])
        #expect(everything.0 == 200 && everything.1.contains("intruder") && !everything.1.contains("tls-key"), "\(everything)")
        #expect(try controlPlane.weft(["get", "secret", "tls-key"]).stdout.contains("tls-key"), "the administrator sees it")
    }

    @Test("a token for one service account gets that identity's certificate; asking for another is refused and counted, and the sidecar never becomes ready")
    func workloadToken() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        let created = try mesh.controlPlane.weft(["token", "create", "--namespace", "foo", "--service-account", "httpbin"])
        #expect(created.status == 0, "\(created.stderr)")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("weft-token-\(UUID().uuidString)")
        try created.stdout.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        for (name, account) in [("own", "httpbin"), ("other", "sleep")] {
            let process = Process()
            process.executableURL = WeftProcess.executable
            process.arguments = ["run", "-n", "foo", "--service-account", account, "--token-file", file.path, "--name", name, "--", "sleep", "600"]
            process.environment = ProcessInfo.processInfo.environment.merging(mesh.environment) { _, new in new }
            try mesh.captureOutput(of: process, name: name)
            try process.run()
            mesh.adopt(process)
        }
        func podIP(_ name: String) -> String? { (try? mesh.controlPlane.proxies())?.first { $0.id.hasPrefix(name + "-") }?.podIP }
        let deadline = Date().addingTimeInterval(20)
        while (podIP("own") == nil || podIP("other") == nil) && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        let own = try #require(podIP("own"), "\(mesh.workloadOutput())")
        let shown = try #require(WorkloadCertificateTests.certificate(own), "the token's own identity is certified:\n\(mesh.workloadOutput())")
        #expect(shown.identity == "spiffe://cluster.local/ns/foo/sa/httpbin")

        var refused = 0
        while refused == 0 && Date() < deadline.addingTimeInterval(10) {
            let counts = try Self.curl(["\(mesh.controlPlane.url)/api/v1/certificates"]).1
            refused = ((try? JSONSerialization.jsonObject(with: Data(counts.utf8)) as? [String: Any])?["requests"] as? [String: Int])?["csr_refused.credential"] ?? 0
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(refused >= 1, "the request for sa/sleep with httpbin's token is refused, counted")
        let other = try #require(podIP("other"))
        #expect(WorkloadCertificateTests.certificate(other, timeout: 1) == nil, "no certificate for an identity the token does not hold")
        let ready = try? Data(contentsOf: URL(string: "http://\(other):15000/healthz/ready")!)
        #expect(ready.map { String(decoding: $0, as: UTF8.self) } != "LIVE\n", "a sidecar without its certificate is not ready")
    }
}
