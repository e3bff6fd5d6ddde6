import Foundation
import Testing
import WeftTesting

/// The control plane's CA as a user meets it: the root published in every namespace, kept across
/// restarts, Istio's plug-in cacerts used as given, and a broken plug-in CA refused at start-up.
@Suite("mesh CA in the control plane")
struct CertificateAuthorityTests {
    static let certs = URL(fileURLWithPath: "../shared/istio-corpus/samples/certs", relativeTo: WeftProcess.packageRoot).standardizedFileURL

    /// The `root-cert.pem` of `istio-ca-root-cert` in `namespace`, as `weft get -o yaml` shows it.
    static func publishedRoot(_ controlPlane: ControlPlaneProcess, namespace: String) throws -> String {
        let result = try controlPlane.weft(["get", "configmap", "istio-ca-root-cert", "-n", namespace, "-o", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let items = object?["items"] as? [[String: Any]] ?? (object.map { [$0] } ?? [])
        let data = items.first?["data"] as? [String: String]
        return data?["root-cert.pem"] ?? ""
    }

    /// What openssl says of a PEM certificate.
    static func openssl(_ pem: String, _ arguments: [String]) throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("weft-root-\(UUID().uuidString).pem")
        try pem.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        return try WeftProcess.runTool("openssl", ["x509", "-in", file.path, "-noout"] + arguments)
    }

    @Test("a self-signed root is made at first start, published as istio-ca-root-cert in every namespace, its key kept 0600, the same after a restart")
    func selfSigned() throws {
        let controlPlane = try ControlPlaneProcess()
        #expect(try controlPlane.weft(["apply", "-f", "-"], stdin: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: foo\n").status == 0)
        let root = try Self.publishedRoot(controlPlane, namespace: "foo")
        #expect(root.contains("BEGIN CERTIFICATE"), "published in foo: \(root)")
        #expect(try Self.publishedRoot(controlPlane, namespace: "default") == root, "the same bundle in every namespace")
        let subject = try Self.openssl(root, ["-subject"])
        #expect(subject.contains("O = cluster.local") || subject.contains("O=cluster.local"), "Istio's self-signed root is named after the trust domain: \(subject)")
        let keyFile = controlPlane.dataDirectory.appendingPathComponent("ca/ca-key.pem")
        let mode = try FileManager.default.attributesOfItem(atPath: keyFile.path)[.posixPermissions] as? Int
        #expect(mode == 0o600, "the CA key is its owner's only")
        #expect(controlPlane.stop() == 0)

        let restarted = try ControlPlaneProcess(restarting: controlPlane)
        #expect(try Self.publishedRoot(restarted, namespace: "foo") == root, "a restart keeps the root every workload trusts")
    }

    @Test("Istio's plug-in CA (samples/certs) is used as given: root-cert.pem is what is published")
    func pluggedIn() throws {
        guard FileManager.default.fileExists(atPath: Self.certs.path) else {
            print("skipped: ../shared/istio-corpus is absent")
            return
        }
        let controlPlane = try ControlPlaneProcess(arguments: ["--ca-dir", Self.certs.path])
        let published = try Self.publishedRoot(controlPlane, namespace: "default")
        let expected = try String(contentsOf: Self.certs.appendingPathComponent("root-cert.pem"), encoding: .utf8)
        #expect(try Self.openssl(published, ["-fingerprint", "-sha256"]) == Self.openssl(expected, ["-fingerprint", "-sha256"]), "the sample root, unchanged")
    }

    @Test("a plug-in CA whose key does not match its certificate stops the control plane at start-up, naming the files, before it serves anything")
    func mismatchedPair() throws {
        guard FileManager.default.fileExists(atPath: Self.certs.path) else {
            print("skipped: ../shared/istio-corpus is absent")
            return
        }
        let directory = try SampleCA.mismatchedPlugInDirectory(from: Self.certs)
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try WeftProcess.run(["control-plane", "--in-memory", "--ca-dir", directory.path, "--http-address", "127.0.0.1:0", "--discovery-address", "127.0.0.1:0"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("does not match") && result.stderr.contains("ca-key.pem") && result.stderr.contains("ca-cert.pem"), "\(result.stderr)")
        #expect(!result.stdout.contains("config API on"), "nothing was served: \(result.stdout)")
    }

    @Test("a plugged-in CA is reloaded when its files change: Istio's root rotation (combined bundle, then the alt intermediate) with no failed request; a mismatched set is refused, counted, and the CA in use keeps signing")
    func reloadedOnChange() throws {
        guard FileManager.default.fileExists(atPath: Self.certs.path) else {
            print("skipped: ../shared/istio-corpus is absent")
            return
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("weft-cacerts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func install(_ files: [(String, String)]) throws {
            for (source, target) in files {
                let staged = directory.appendingPathComponent(".\(target).new")
                try? FileManager.default.removeItem(at: staged)
                try FileManager.default.copyItem(at: Self.certs.appendingPathComponent(source), to: staged)
                // rename(2): the file changes in one step, as a Secret's volume update does.
                #expect(rename(staged.path, directory.appendingPathComponent(target).path) == 0)
            }
        }
        for name in ["ca-cert.pem", "ca-key.pem", "cert-chain.pem", "root-cert.pem"] {
            try FileManager.default.copyItem(at: Self.certs.appendingPathComponent(name), to: directory.appendingPathComponent(name))
        }
        let mesh = try MeshHarness(controlPlaneArguments: ["--ca-dir", directory.path])
        defer { mesh.stopWorkloads() }
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: MeshFixtures.reviewsService).status == 0)
        try mesh.startEcho(name: "reviews-v1", labels: "app=reviews,version=v1", environment: ["SECRET_TTL": "4s"])
        let client = try mesh.startClient(environment: ["SECRET_TTL": "4s"])
        try mesh.waitForEndpoints(proxy: "client", count: 1)
        let server = try #require(try mesh.controlPlane.proxies().first { $0.id.hasPrefix("reviews-v1-") }?.podIP)
        var requests = 0, failures: [String] = []
        func request() {
            requests += 1
            let (status, body) = (try? mesh.curl(through: client, "http://reviews:9080/")) ?? (0, "curl failed")
            if status != 200 { failures.append("\(status) \(body)") }
        }
        /// Waits (bounded) while requests keep going through both sidecars.
        func waitUntil(_ what: String, _ condition: () throws -> Bool) throws {
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline {
                request()
                if (try? condition()) == true { return }
                Thread.sleep(forTimeInterval: 0.1)
            }
            Issue.record("not within 30 s: \(what)")
        }
        func roots(_ podIP: String) -> Int { WorkloadCertificateTests.certificate(podIP)?.rootCertificate?.components(separatedBy: "BEGIN CERTIFICATE").count ?? 1 }
        func issuer(_ podIP: String) throws -> String {
            try Self.openssl(WorkloadCertificateTests.certificate(podIP)?.certificateChain ?? "", ["-noout", "-issuer"])
        }
        request()
        #expect(try issuer(server).contains("CN = Istio CA"))

        // 1: the combined root bundle is published and reaches both sidecars as they renew.
        try install([("root-cert-combined.pem", "root-cert.pem")])
        try waitUntil("the combined bundle is published") { try Self.publishedRoot(mesh.controlPlane, namespace: "default").components(separatedBy: "BEGIN CERTIFICATE").count == 3 }
        try waitUntil("both sidecars trust the combined bundle") { roots(server) == 3 && roots(client) == 3 }
        // 2: the alt intermediate signs from now on; both sidecars renew onto it.
        try install([("ca-cert-alt.pem", "ca-cert.pem"), ("ca-key-alt.pem", "ca-key.pem"), ("cert-chain-alt.pem", "cert-chain.pem")])
        try waitUntil("both sidecars hold certificates of the alt intermediate") {
            try issuer(server).contains("CN = Intermediate CA") && issuer(client).contains("CN = Intermediate CA")
        }
        #expect(requests > 5 && failures.isEmpty, "no request failed across the root rotation (\(requests) requests): \(failures.prefix(5))")

        // A key that does not match its certificate: refused, counted; the alt CA keeps signing.
        try install([("ca-cert-alt-2.pem", "ca-cert.pem")])
        try waitUntil("the mismatched set is refused") {
            let counts = try WeftProcess.runTool("curl", ["-s", "\(mesh.controlPlane.url)/api/v1/certificates"])
            return counts.contains("\"ca_reload_failed\"")
        }
        let serial = WorkloadCertificateTests.certificate(server)?.serialNumber
        try waitUntil("the server renews after the refused change") { WorkloadCertificateTests.certificate(server)?.serialNumber != serial }
        #expect(try issuer(server).contains("CN = Intermediate CA, L = cluster1"), "still signed by the CA in use")
        #expect(failures.isEmpty, "\(failures.prefix(5))")
    }
}
