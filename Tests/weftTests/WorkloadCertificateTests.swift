import Foundation
import Testing

/// A sidecar's workload certificate, end to end: key made on the proxy, CSR over the discovery
/// channel, chain signed by the control plane's CA, renewed at half-life, checked with openssl.
@Suite("workload certificates")
struct WorkloadCertificateTests {
    struct Shown: Decodable {
        struct Entry: Decodable {
            var identity: String
            var serialNumber: String
            var certificateChain: String
            var rootCertificate: String?
        }
        var certificates: [Entry]
    }

    /// The certificate `/certs` on the sidecar's admin port shows, once there is one (bounded wait).
    static func certificate(_ podIP: String, otherThan serial: String? = nil, timeout: TimeInterval = 20) -> Shown.Entry? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let data = try? Data(contentsOf: URL(string: "http://\(podIP):15000/certs")!),
               let entry = try? JSONDecoder().decode(Shown.self, from: data).certificates.first, entry.serialNumber != serial {
                return entry
            }
            // A blocking wait like the harness's: the test keeps its thread while the suite runs in parallel.
            Thread.sleep(forTimeInterval: 0.05)
        }
        return nil
    }

    @Test("a sidecar holds a certificate for spiffe://cluster.local/ns/NS/sa/SA that chains to the published root, and renews it at half-life")
    func issuedAndRotated() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        let podIP = try mesh.startClient(name: "certs", environment: ["SECRET_TTL": "4s"])
        let first = try #require(Self.certificate(podIP), "no certificate on /certs:\n\(mesh.workloadOutput())")
        #expect(first.identity == "spiffe://cluster.local/ns/default/sa/default")

        // openssl: the URI SAN, and the chain to the root the control plane publishes.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("weft-certs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let chain = first.certificateChain.components(separatedBy: "-----END CERTIFICATE-----").filter { $0.contains("BEGIN") }.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) + "\n-----END CERTIFICATE-----\n" }
        try chain[0].write(to: directory.appendingPathComponent("leaf.pem"), atomically: true, encoding: .utf8)
        let root = try CertificateAuthorityTests.publishedRoot(mesh.controlPlane, namespace: "default")
        try root.write(to: directory.appendingPathComponent("root.pem"), atomically: true, encoding: .utf8)
        let san = try WeftProcess.runTool("openssl", ["x509", "-in", directory.appendingPathComponent("leaf.pem").path, "-noout", "-ext", "subjectAltName"])
        #expect(san.contains("URI:spiffe://cluster.local/ns/default/sa/default"), "\(san)")
        let verified = try WeftProcess.runTool("openssl", ["verify", "-CAfile", directory.appendingPathComponent("root.pem").path, directory.appendingPathComponent("leaf.pem").path])
        #expect(verified.contains(": OK"), "\(verified)")

        // weft proxy-config secret: the table istioctl prints, and the chain and root as PEM in JSON.
        let proxyID = try #require(try mesh.controlPlane.proxies().first { $0.id.hasPrefix("certs-") }?.id)
        let table = try mesh.controlPlane.weft(["proxy-config", "secret", proxyID])
        #expect(table.status == 0 && table.stdout.contains("Cert Chain") && table.stdout.contains("ROOTCA"), "\(table.stdout)\(table.stderr)")
        let json = try mesh.controlPlane.weft(["proxy-config", "secret", proxyID, "-o", "json"])
        let shown = try JSONDecoder().decode(Shown.self, from: Data(json.stdout.utf8))
        #expect(shown.certificates.first?.identity == first.identity)
        let rootShown = try #require(shown.certificates.first?.rootCertificate)
        #expect(try CertificateAuthorityTests.openssl(rootShown, ["-fingerprint", "-sha256"]) == CertificateAuthorityTests.openssl(root, ["-fingerprint", "-sha256"]),
                "the proxy holds the root the control plane publishes")

        // A 4 s certificate is replaced after about 2 s: a new serial, the same identity.
        let second = try #require(Self.certificate(podIP, otherThan: first.serialNumber, timeout: 15), "not renewed:\n\(mesh.workloadOutput())")
        #expect(second.identity == first.identity)
        let counted = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(string: mesh.controlPlane.url + "/api/v1/certificates")!)) as? [String: Any]
        let signed = (counted?["requests"] as? [String: Int])?["csr_signed"] ?? 0
        #expect(signed >= 2, "the control plane counts what it signed: \(String(describing: counted))")
    }

    @Test("the control plane's MAX_WORKLOAD_CERT_TTL caps what a proxy's SECRET_TTL asks for")
    func maximumTTL() throws {
        let mesh = try MeshHarness(controlPlaneEnvironment: ["MAX_WORKLOAD_CERT_TTL": "30s"])
        defer { mesh.stopWorkloads() }
        let podIP = try mesh.startClient(name: "capped", environment: ["SECRET_TTL": "1h"])
        let shown = try #require(Self.certificate(podIP), "no certificate:\n\(mesh.workloadOutput())")
        let leaf = shown.certificateChain.components(separatedBy: "-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n"
        let dates = try CertificateAuthorityTests.openssl(leaf, ["-startdate", "-enddate"])
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "MMM d HH:mm:ss yyyy 'GMT'"
        func date(_ key: String) -> Date? {
            dates.split(separator: "\n").first { $0.hasPrefix(key) }.map { String($0.dropFirst(key.count)).replacingOccurrences(of: "  ", with: " ") }.flatMap(formatter.date)
        }
        let start = try #require(date("notBefore="), "\(dates)"), end = try #require(date("notAfter="), "\(dates)")
        #expect(abs(end.timeIntervalSince(start) - 90) < 3, "30 s and the minute of clock skew, not an hour: \(dates)")
    }

    @Test("rotation under load: a client polling through two sidecars for three certificate lifetimes sees no failed request while the certificates (4 s lifetime on both sidecars) rotate under it")
    func rotationUnderLoad() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: MeshFixtures.reviewsService).status == 0)
        try mesh.startEcho(name: "reviews-v1", labels: "app=reviews,version=v1", environment: ["SECRET_TTL": "4s"])
        let idle = try mesh.startClient(name: "idle")
        try mesh.waitForEndpoints(proxy: "idle", count: 1)
        let server = try #require(try mesh.controlPlane.proxies().first { $0.id.hasPrefix("reviews-v1-") }?.podIP)
        let serverSerial = try #require(Self.certificate(server)).serialNumber
        let result = try WeftProcess.run(["run", "--labels", "app=poller", "--name", "poller", "--", "python3",
                                          MeshHarness.fixtures.appendingPathComponent("polling_client.py").path, "http://reviews:9080/", "12"],
                                         environment: mesh.environment.merging(["SECRET_TTL": "4s"]) { _, new in new })
        let line = try #require(result.stdout.split(separator: "\n").last, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let requests = object["requests"] as? Int ?? 0
        #expect(requests > 100, "the client kept polling: \(object)")
        #expect((object["failures"] as? [String: Int] ?? [:]).isEmpty, "no request failed across the rotations: \(object)")
        let rotated = try #require(Self.certificate(server))
        #expect(rotated.serialNumber != serverSerial, "the server's certificate changed meanwhile")
        let stats = String(decoding: try Data(contentsOf: URL(string: "http://\(server):15000/stats")!), as: UTF8.self)
        let issued = stats.split(separator: "\n").first { $0.hasPrefix("certificate.issued: ") }.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
        #expect(issued >= 4, "the server renewed at half-life several times: \(issued)")
        withExtendedLifetime(idle) {}
    }

    @Test("MeshConfig trustDomain: sidecars that do not know it get certificates in it, endpoints carry it, and mutual TLS between them works")
    func meshTrustDomain() throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("weft-td-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        // The CA reads the trust domain when it starts: apply MeshConfig, then start again on that store.
        let first = try ControlPlaneProcess(dataDirectory: data)
        #expect(try first.weft(["apply", "-f", "-"], stdin: """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: istio, namespace: istio-system}
        data:
          mesh: |
            trustDomain: example.org
        """ + "\n---\n" + MeshFixtures.reviewsService).status == 0)
        #expect(first.stop() == 0)
        let mesh = try MeshHarness(dataDirectory: data)
        defer { mesh.stopWorkloads() }
        try mesh.startEcho(name: "reviews-v1", labels: "app=reviews,version=v1")
        let client = try mesh.startClient()
        try mesh.waitForEndpoints(proxy: "client", count: 1)
        #expect(Self.certificate(client)?.identity == "spiffe://example.org/ns/default/sa/default")
        let endpoint = try mesh.controlPlane.configuration(of: try #require(try mesh.controlPlane.proxies().first { $0.id.hasPrefix("client-") }?.id))
            .endpoints.first { $0.cluster == "outbound|9080||reviews.default.svc.cluster.local" }?.endpoints.first
        #expect(endpoint?.identity == "spiffe://example.org/ns/default/sa/default")
        let (status, body) = try mesh.curl(through: client, "http://reviews:9080/")
        #expect(status == 200 && body.contains("reviews-v1"), "\(status) \(body)")
    }
}
