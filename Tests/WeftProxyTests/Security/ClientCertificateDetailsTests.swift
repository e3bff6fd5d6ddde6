import Foundation
import NIOSSL
import Testing
@testable import WeftProxy

/// A gateway's `X-Forwarded-Client-Cert` element for a client certificate, checked against what
/// OpenSSL (Envoy's TLS library's ancestor, same formats) says of the same certificate: its PEM as
/// written, its subject in RFC 2253 form, its SHA-256.
@Suite("Gateway X-Forwarded-Client-Cert element")
struct ClientCertificateDetailsTests {
    static func openssl(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test("By, Hash, Cert (the PEM with newline, space, +, / and = encoded), Subject, URI and each DNS name, in Envoy's order")
    func element() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("weft-xfcc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = directory.appendingPathComponent("key.pem").path, cert = directory.appendingPathComponent("cert.pem").path
        _ = try Self.openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
                              "-subj", "/O=client organization/CN=client.example.com", "-keyout", key, "-out", cert,
                              "-addext", "subjectAltName=URI:spiffe://cluster.local/ns/foo/sa/client,DNS:client.example.com,DNS:www.example.com"])
        let pem = try String(contentsOfFile: cert, encoding: .utf8)
        let subject = try Self.openssl(["x509", "-in", cert, "-noout", "-subject", "-nameopt", "RFC2253"])
            .trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "subject=", with: "")
        let fingerprint = try Self.openssl(["x509", "-in", cert, "-noout", "-fingerprint", "-sha256"])
            .split(separator: "=", maxSplits: 1).last.map { $0.replacingOccurrences(of: ":", with: "").lowercased().trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
        #expect(subject == "CN=client.example.com,O=client organization" && fingerprint.count == 64, "openssl said \(subject) \(fingerprint)")
        var encoded = pem
        for (character, escape) in [("\n", "%0A"), (" ", "%20"), ("+", "%2B"), ("/", "%2F"), ("=", "%3D")] {
            encoded = encoded.replacingOccurrences(of: character, with: escape)
        }
        let certificate = try NIOSSLCertificate(bytes: Array(pem.utf8), format: .pem)
        let element = ClientCertificateDetails.element(of: certificate, by: "spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account")
        #expect(element == "By=spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account;Hash=\(fingerprint);Cert=\"\(encoded)\";"
            + "Subject=\"\(subject)\";URI=spiffe://cluster.local/ns/foo/sa/client;DNS=client.example.com;DNS=www.example.com")
        #expect(ClientCertificateDetails.element(of: certificate, by: nil)?.hasPrefix("Hash=\(fingerprint);Cert=") == true, "no URI name of the gateway's own: no By")
    }
}
