import Foundation
import Testing
import WeftControlPlane
import WeftModel
import WeftProxy

/// What reaches an inbound port over TLS that should not, and a server that is not who it should
/// be: each closes that connection only, counted by reason, and the sidecar keeps serving. The
/// workload's chain is visible to standard tools (`openssl s_client` with Istio's ALPN).
@Suite("mutual TLS: bad input and troubleshooting", .serialized)
struct MutualTLSBadInputTests {
    /// Sends `bytes` to `address` and reports whether the peer closed within `wait` seconds.
    static func closes(_ address: String, port: Int, sending bytes: [UInt8], wait: Double) throws -> Bool {
        let script = """
        import socket, sys, time
        s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=\(wait))
        s.sendall(bytes.fromhex(sys.argv[3]))
        try:
            while s.recv(4096): pass
            print("closed")
        except ConnectionResetError:
            print("closed")
        except socket.timeout:
            print("open")
        """
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        return try WeftProcess.runTool("python3", ["-c", script, address, String(port), hex]).hasPrefix("closed")
    }

    /// Runs `openssl s_client` against an inbound port with Istio's ALPN; stdout and stderr together.
    static func sClient(_ address: String, port: Int, _ extra: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl", "s_client", "-connect", "\(address):\(port)", "-alpn", "istio-peer-exchange,istio", "-showcerts"] + extra
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = Pipe()
        try process.run()
        // openssl may have exited already (the handshake refused): a broken pipe is no failure here.
        try? (process.standardInput as? Pipe)?.fileHandleForWriting.write(contentsOf: Data("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        try? (process.standardInput as? Pipe)?.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    static func waitForStat(_ podIP: String, _ name: String, timeout: TimeInterval = 10) -> Int {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let stats = (try? String(decoding: Data(contentsOf: URL(string: "http://\(podIP):15000/stats")!), as: UTF8.self)) ?? ""
            if let line = stats.split(separator: "\n").first(where: { $0.hasPrefix(name + ": ") }), let value = Int(line.split(separator: " ").last ?? ""), value > 0 {
                return value
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return 0
    }

    @Test("openssl s_client with Istio's ALPN sees the workload's chain (SPIFFE SAN, verifies to the published root); garbage, a stalled handshake, a foreign or expired client certificate are closed and counted; the sidecar keeps serving")
    func inbound() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: MeshFixtures.reviewsService).status == 0)
        try mesh.startEcho(name: "reviews-v1", labels: "app=reviews,version=v1", environment: ["WEFT_TLS_HANDSHAKE_TIMEOUT": "1"])
        let client = try mesh.startClient()
        try mesh.waitForEndpoints(proxy: "client", count: 1)
        let server = try #require(try mesh.controlPlane.proxies().first { $0.id.hasPrefix("reviews-v1-") }?.podIP)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("weft-badtls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let root = directory.appendingPathComponent("root.pem")
        try CertificateAuthorityTests.publishedRoot(mesh.controlPlane, namespace: "default").write(to: root, atomically: true, encoding: .utf8)

        // The chain, from outside, with standard tools.
        let shown = try Self.sClient(server, port: 9080, ["-CAfile", root.path])
        #expect(shown.contains("Verify return code: 0 (ok)"), "\(shown)")
        let leaf = try #require(shown.components(separatedBy: "-----END CERTIFICATE-----").first.map { $0[($0.range(of: "-----BEGIN CERTIFICATE-----")?.lowerBound ?? $0.startIndex)...] + "-----END CERTIFICATE-----\n" })
        #expect(try CertificateAuthorityTests.openssl(String(leaf), ["-noout", "-ext", "subjectAltName"]).contains("URI:spiffe://cluster.local/ns/default/sa/default"))
        #expect(Self.waitForStat(server, "ssl.fail_verify_no_cert") >= 1, "a client without a certificate is refused, counted")

        // Garbage after a TLS record type; a handshake that stops (closed by the 1 s bound).
        #expect(try Self.closes(server, port: 9080, sending: [0x16, 0x03, 0x01, 0x00, 0x05] + Array("hello".utf8) + Array(repeating: 0xff, count: 64), wait: 10))
        #expect(Self.waitForStat(server, "ssl.connection_error") >= 1)
        #expect(try Self.closes(server, port: 9080, sending: [0x16, 0x03, 0x01], wait: 10))
        #expect(Self.waitForStat(server, "ssl.handshake_timeout") >= 1)

        // A client certificate from another root.
        let foreignKey = directory.appendingPathComponent("foreign-key.pem"), foreignCert = directory.appendingPathComponent("foreign-cert.pem")
        _ = try WeftProcess.runTool("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=evil",
                                                "-addext", "subjectAltName=URI:spiffe://cluster.local/ns/default/sa/default", "-keyout", foreignKey.path, "-out", foreignCert.path])
        _ = try Self.sClient(server, port: 9080, ["-cert", foreignCert.path, "-key", foreignKey.path])
        let foreign = Self.waitForStat(server, "ssl.fail_verify_error")
        #expect(foreign >= 1, "a certificate from another root is refused, counted")

        // An expired certificate from the mesh CA itself (signed two days ago for an hour).
        let caDirectory = mesh.controlPlane.dataDirectory.appendingPathComponent("ca")
        let ca = try MeshCA.stored(certificatePEM: String(contentsOf: caDirectory.appendingPathComponent("ca-cert.pem"), encoding: .utf8),
                                   keyPEM: String(contentsOf: caDirectory.appendingPathComponent("ca-key.pem"), encoding: .utf8), trustDomain: "cluster.local")
        let identity = SPIFFEIdentity(trustDomain: "cluster.local", namespace: "default", serviceAccount: "default")
        let (key, csr) = try WorkloadCertificate.request(for: identity)
        let expired = try ca.sign(csrPEM: csr, for: identity, ttl: .seconds(3600), now: Date().addingTimeInterval(-2 * 24 * 3600))
        let expiredCert = directory.appendingPathComponent("expired-cert.pem"), expiredKey = directory.appendingPathComponent("expired-key.pem")
        try expired.chainPEM.write(to: expiredCert, atomically: true, encoding: .utf8)
        try key.pemRepresentation.write(to: expiredKey, atomically: true, encoding: .utf8)
        _ = try Self.sClient(server, port: 9080, ["-cert", expiredCert.path, "-key", expiredKey.path])
        let deadline = Date().addingTimeInterval(10)
        while Self.waitForStat(server, "ssl.fail_verify_error", timeout: 0.1) <= foreign && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(Self.waitForStat(server, "ssl.fail_verify_error") > foreign, "an expired certificate is refused, counted")

        // Through all of it the sidecar serves its mesh clients over mutual TLS.
        let (status, body) = try mesh.curl(through: client, "http://reviews:9080/")
        #expect(status == 200 && body.contains("reviews-v1"), "\(status) \(body)")
    }

    @Test("a server whose identity is not one the DestinationRule allows gets no request: 503, counted as ssl.fail_verify_san; allowed again, 200")
    func serverIdentityMismatch() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        let rule = """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews}
        spec:
          host: reviews
          trafficPolicy:
            tls: {mode: ISTIO_MUTUAL, subjectAltNames: ["spiffe://cluster.local/ns/default/sa/nobody"]}
        """
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: MeshFixtures.reviewsService + "\n---\n" + rule).status == 0)
        try mesh.startEcho(name: "reviews-v1", labels: "app=reviews,version=v1")
        let client = try mesh.startClient()
        try mesh.waitForEndpoints(proxy: "client", count: 1)
        let (status, _) = try mesh.curl(through: client, "http://reviews:9080/")
        #expect(status == 503)
        #expect(Self.waitForStat(client, "cluster.outbound|9080||reviews.default.svc.cluster.local.ssl.fail_verify_san") >= 1)

        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: rule.replacingOccurrences(of: "sa/nobody", with: "sa/default")).status == 0)
        let deadline = Date().addingTimeInterval(20)
        var last = 0
        while Date() < deadline {
            last = try mesh.curl(through: client, "http://reviews:9080/").0
            if last == 200 { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(last == 200, "the allowed identity is served")
    }
}
