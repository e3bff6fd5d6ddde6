import Foundation
import Testing

/// DestinationRule `tls` SIMPLE and MUTUAL: the client sidecar originates TLS to an upstream
/// outside the mesh with the files the rule names, sends the rule's SNI, and checks the server's
/// certificate against its CA and `subjectAltNames`.
@Suite("TLS origination by DestinationRule", .serialized)
struct TLSOriginationTests {
    @Test("SIMPLE with caCertificates and sni reaches a TLS server; MUTUAL presents the client certificate; a wrong subjectAltName (the rule's, else the ServiceEntry's) or CA gets 503, counted")
    func origination() throws {
        let certificates = try TestCertificates(prefix: "weft-origin")
        defer { certificates.remove() }
        let path = certificates.path
        try certificates.makeCA("ca", commonName: "origin-ca")
        try certificates.makeCA("other", commonName: "other-ca")
        try certificates.makeLeaf("server", subjectAltName: "DNS:tls.example")
        try certificates.makeLeaf("client", subjectAltName: "DNS:client.example")
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        var ports: [Int] = []
        for extra in [[String](), [path("ca.pem")]] {
            let server = Process()
            server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            // SIGTERM reset: the test runner ignores it, and an ignored signal survives exec.
            server.arguments = ["--default-signal=TERM", "python3", MeshHarness.fixtures.appendingPathComponent("tls_upstream.py").path, "127.0.0.1", path("server.pem"), path("server.key")] + extra
            let output = Pipe()
            server.standardOutput = output
            try server.run()
            mesh.adopt(server)
            // The port it listens on, printed once bound.
            let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            ports.append(try #require(Int(line), "the TLS upstream did not start: \(line)"))
        }
        let simplePort = ports[0], mutualPort = ports[1]
        func rule(_ host: String, port: Int, tls: String, entrySubjectAltNames: [String] = []) -> String {
            """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: \(host.replacingOccurrences(of: ".", with: "-"))}
            spec:
              hosts: [\(host)]
              subjectAltNames: [\(entrySubjectAltNames.joined(separator: ", "))]
              resolution: STATIC
              ports: [{number: \(port), name: http, protocol: HTTP}]
              endpoints: [{address: 127.0.0.1}]
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: \(host.replacingOccurrences(of: ".", with: "-"))}
            spec:
              host: \(host)
              trafficPolicy: {tls: \(tls)}
            """
        }
        let yaml = [
            rule("simple.test", port: simplePort, tls: "{mode: SIMPLE, sni: tls.example, caCertificates: \(path("ca.pem")), subjectAltNames: [tls.example]}"),
            rule("mutual.test", port: mutualPort, tls: "{mode: MUTUAL, sni: tls.example, caCertificates: \(path("ca.pem")), clientCertificate: \(path("client.pem")), privateKey: \(path("client.key"))}"),
            rule("wrong-san.test", port: simplePort, tls: "{mode: SIMPLE, caCertificates: \(path("ca.pem")), subjectAltNames: [other.example]}"),
            rule("wrong-ca.test", port: simplePort, tls: "{mode: SIMPLE, caCertificates: \(path("other.pem"))}"),
            // No subjectAltNames in the rule: the ServiceEntry's are checked, as Istio does for its hosts.
            rule("entry-san.test", port: simplePort, tls: "{mode: SIMPLE, sni: tls.example, caCertificates: \(path("ca.pem"))}", entrySubjectAltNames: ["tls.example"]),
            rule("entry-wrong-san.test", port: simplePort, tls: "{mode: SIMPLE, sni: tls.example, caCertificates: \(path("ca.pem"))}", entrySubjectAltNames: ["other.example"]),
        ].joined(separator: "\n---\n")
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: yaml).status == 0)
        let client = try mesh.startClient()
        try mesh.waitForEndpoints(proxy: "client", cluster: "outbound|\(simplePort)||wrong-ca.test", count: 1)

        let simple = try mesh.curl(through: client, "http://simple.test:\(simplePort)/")
        #expect(simple.0 == 200 && simple.1.contains("client anonymous, sni tls.example"), "\(simple)")
        let mutual = try mesh.curl(through: client, "http://mutual.test:\(mutualPort)/")
        #expect(mutual.0 == 200 && mutual.1.contains("client client"), "the client certificate was presented: \(mutual)")
        #expect(try mesh.curl(through: client, "http://wrong-san.test:\(simplePort)/").0 == 503)
        #expect(try mesh.curl(through: client, "http://wrong-ca.test:\(simplePort)/").0 == 503)
        #expect(try mesh.curl(through: client, "http://entry-san.test:\(simplePort)/").0 == 200, "the server's name is one of the entry's subjectAltNames")
        #expect(try mesh.curl(through: client, "http://entry-wrong-san.test:\(simplePort)/").0 == 503, "the server's name is not among the entry's subjectAltNames")
        let stats = String(decoding: try Data(contentsOf: URL(string: "http://\(client):15000/stats")!), as: UTF8.self)
        // Counted once per attempt: Istio's default policy retries a failed connect twice.
        #expect(stats.contains("cluster.outbound|\(simplePort)||wrong-san.test.ssl.fail_verify_san: 3"), "\(stats)")
        #expect(stats.contains("cluster.outbound|\(simplePort)||wrong-ca.test.ssl.fail_verify_error: 3"), "\(stats)")
    }
}
