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

        let restarted = try ControlPlaneProcess(dataDirectory: controlPlane.dataDirectory)
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
}
