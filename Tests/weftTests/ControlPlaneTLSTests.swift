import Foundation
import Testing

/// Beyond loopback, the control plane's API and discovery are TLS with a certificate from the
/// mesh CA: plaintext gets nowhere, curl with the published root and the CLI get through, and a
/// sidecar gets its configuration and certificate over TLS.
@Suite("control plane TLS beyond loopback")
struct ControlPlaneTLSTests {
    @Test("listening on 0.0.0.0: plaintext HTTP fails, HTTPS verifies against the mesh root; weft apply and a sidecar work over TLS")
    func wildcardListeners() throws {
        let controlPlane = try ControlPlaneProcess(arguments: ["--http-address", "0.0.0.0:0", "--discovery-address", "0.0.0.0:0"])
        defer { _ = controlPlane.stop() }
        #expect(controlPlane.url.hasPrefix("https://"), "\(controlPlane.url)")
        let api = controlPlane.url.replacingOccurrences(of: "0.0.0.0", with: "127.0.0.1")
        let apiPort = try #require(api.split(separator: ":").last.map(String.init))
        let discovery = controlPlane.discoveryAddress.replacingOccurrences(of: "0.0.0.0", with: "127.0.0.1")
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("weft-root-\(UUID().uuidString).pem")
        defer { try? FileManager.default.removeItem(at: root) }

        let plaintext = try WeftProcess.runTool("sh", ["-c", "curl -s -m 5 -o /dev/null -w '%{http_code}' http://127.0.0.1:\(apiPort)/healthz/ready; true"])
        #expect(plaintext == "000", "plaintext HTTP gets no answer: \(plaintext)")
        let unverified = try WeftProcess.runTool("sh", ["-c", "curl -s -m 5 -o /dev/null -w '%{http_code}' https://127.0.0.1:\(apiPort)/healthz/ready; true"])
        #expect(unverified == "000", "the system's roots do not vouch for the mesh CA: \(unverified)")

        // The CLI finds the root and the token the control plane left on this host.
        let applied = try WeftProcess.run(["apply", "--control-plane", api, "-f", "-"], stdin: MeshFixtures.reviewsService)
        #expect(applied.status == 0, "\(applied.stderr)")
        let shown = try WeftProcess.run(["get", "configmap", "istio-ca-root-cert", "-n", "default", "-o", "json", "--control-plane", api])
        let object = try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any]
        let items = object?["items"] as? [[String: Any]] ?? (object.map { [$0] } ?? [])
        let pem = try #require((items.first?["data"] as? [String: String])?["root-cert.pem"], "\(shown.stdout)\(shown.stderr)")
        try pem.write(to: root, atomically: true, encoding: .utf8)
        let verified = try WeftProcess.runTool("curl", ["-s", "-m", "5", "--cacert", root.path, "https://127.0.0.1:\(apiPort)/healthz/ready"])
        #expect(verified == "ok\n", "HTTPS checked against the published root: \(verified)")
        // A handshake can take long on a loaded machine: tried again, within a bound.
        var grpc = ""
        let handshakeDeadline = Date().addingTimeInterval(60)
        repeat {
            grpc = try WeftProcess.runTool("sh", ["-c", "timeout 20 openssl s_client -connect \(discovery) -CAfile \(root.path) -alpn h2 </dev/null 2>&1 | grep 'Verify return code'"])
        } while !grpc.contains("0 (ok)") && Date() < handshakeDeadline
        #expect(grpc.contains("0 (ok)"), "discovery is TLS with the mesh CA: \(grpc)")

        // A sidecar: configuration and certificate over TLS.
        let sidecar = Process()
        sidecar.executableURL = WeftProcess.executable
        sidecar.arguments = ["run", "--name", "tls-client", "--", "sleep", "600"]
        sidecar.environment = ProcessInfo.processInfo.environment.merging(["WEFT_CONTROL_PLANE": api, "WEFT_DISCOVERY_ADDRESS": discovery]) { _, new in new }
        sidecar.standardOutput = FileHandle.nullDevice
        sidecar.standardError = FileHandle.nullDevice
        try sidecar.run()
        defer { sidecar.terminate(); sidecar.waitUntilExit() }
        var podIP: String?
        let deadline = Date().addingTimeInterval(20)
        while podIP == nil && Date() < deadline {
            let text = try WeftProcess.runTool("curl", ["-s", "-m", "5", "--cacert", root.path, "https://127.0.0.1:\(apiPort)/api/v1/proxies"])
            let proxies = (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["proxies"] as? [[String: Any]] ?? []
            if let proxy = proxies.first(where: { ($0["id"] as? String)?.hasPrefix("tls-client-") == true && $0["state"] as? String == "SYNCED" }) {
                podIP = proxy["podIP"] as? String
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let address = try #require(podIP, "the sidecar synced over TLS")
        #expect(WorkloadCertificateTests.certificate(address)?.identity == "spiffe://cluster.local/ns/default/sa/default", "and got its certificate over TLS")

        // Its spans reach the built-in collector, the API over TLS, checked against the mesh root it holds.
        let sampled = try WeftProcess.run(["apply", "--control-plane", api, "-f", "-"], stdin: TracingTests.meshConfigMap("defaultConfig:\n  tracing: {sampling: 100.0}"))
        #expect(sampled.status == 0, "\(sampled.stderr)")
        var spans: [TracingTests.Span] = []
        let traceDeadline = Date().addingTimeInterval(30)
        while spans.isEmpty && Date() < traceDeadline {
            let id = UUID().uuidString.lowercased()
            _ = try WeftProcess.runTool("curl", ["-s", "-m", "5", "-o", "/dev/null", "-x", "http://\(address):15001", "-H", "x-request-id: \(id)", "http://reviews:9080/traced"])
            let query = "guid:x-request-id=\(id)".addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            let flushDeadline = Date().addingTimeInterval(3)
            repeat {
                let text = try WeftProcess.runTool("curl", ["-s", "-m", "5", "--cacert", root.path, "https://127.0.0.1:\(apiPort)/api/v2/traces?annotationQuery=\(query)&limit=5"])
                spans = ((try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [[TracingTests.Span]] ?? []).flatMap { $0 }
                if spans.isEmpty { Thread.sleep(forTimeInterval: 0.2) }
            } while spans.isEmpty && Date() < flushDeadline
        }
        #expect(spans.contains { $0["kind"] as? String == "CLIENT" }, "the sidecar's span (a 503 UH, tagged with the request's id) reached the built-in collector over TLS: \(spans)")
    }
}
