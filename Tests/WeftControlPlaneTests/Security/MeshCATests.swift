import Crypto
import SwiftASN1
import Foundation
import Testing
import WeftModel
import X509
@testable import WeftControlPlane
import WeftTesting

/// The mesh CA alone: what it signs, for whom, and which CAs it refuses to be. Certificates are
/// checked with swift-certificates' RFC 5280 verifier against the published roots.
@Suite("mesh CA")
struct MeshCATests {
    static let foo = SPIFFEIdentity(trustDomain: "cluster.local", namespace: "foo", serviceAccount: "httpbin")
    static let certs = URL(fileURLWithPath: "../shared/istio-corpus/samples/certs")

    /// A CSR the way a proxy makes one: its own P-256 key, the URI SAN it asks for.
    static func request(for identity: SPIFFEIdentity, key: P256.Signing.PrivateKey = P256.Signing.PrivateKey()) throws -> String {
        let extensions = try Certificate.Extensions { SubjectAlternativeNames([.uniformResourceIdentifier(identity.uri)]) }
        let csr = try CertificateSigningRequest(version: .v1, subject: DistinguishedName(), privateKey: Certificate.PrivateKey(key),
                                                attributes: CertificateSigningRequest.Attributes([.init(ExtensionRequest(extensions: extensions))]))
        return try csr.serializeAsPEM().pemString
    }

    /// Whether `issued` chains to `roots` under RFC 5280 at `time`.
    static func verifies(_ issued: MeshCA.IssuedCertificate, roots: [Certificate]) async -> Bool {
        var verifier = Verifier(rootCertificates: CertificateStore(roots)) {
            RFC5280Policy()
            SPIFFEURIPolicy(expected: issued.identity)
        }
        let result = await verifier.validate(leaf: issued.certificate, intermediates: CertificateStore(issued.chain))
        if case .validCertificate = result { return true }
        print("not verified: \(result)")
        return false
    }

    /// Accepts the critical URI SAN Istio's workload certificates carry (their subject is empty)
    /// when it names the expected identity.
    struct SPIFFEURIPolicy: VerifierPolicy {
        let expected: String
        var verifyingCriticalExtensions: [ASN1ObjectIdentifier] { [.X509ExtensionID.subjectAlternativeName] }

        func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) async -> PolicyEvaluationResult {
            let names = (try? chain.leaf.extensions.subjectAlternativeNames).flatMap { $0 }.map(Array.init) ?? []
            return names == [.uniformResourceIdentifier(expected)] ? .meetsPolicy : .failsToMeetPolicy(reason: "leaf names \(names), not \(expected)")
        }
    }

    @Test("a self-signed root signs a workload's request: its key, its SPIFFE URI SAN, 24 h, chaining to the published root")
    func selfSigned() async throws {
        let (ca, certificatePEM, keyPEM) = try MeshCA.selfSigned(trustDomain: "cluster.local")
        let key = P256.Signing.PrivateKey()
        let issued = try ca.sign(csrPEM: try Self.request(for: Self.foo, key: key), for: Self.foo)
        #expect(issued.certificate.publicKey == Certificate.PublicKey(key.publicKey), "the proxy's own key")
        let names = try issued.certificate.extensions.subjectAlternativeNames
        #expect(names.map(Array.init) == [.uniformResourceIdentifier("spiffe://cluster.local/ns/foo/sa/httpbin")])
        let lifetime = issued.certificate.notValidAfter.timeIntervalSince(issued.certificate.notValidBefore)
        #expect(abs(lifetime - (24 * 3600 + 60)) < 5, "24 h (and a minute of clock skew): \(lifetime)")
        let roots = ca.roots
        #expect(await Self.verifies(issued, roots: roots))
        #expect(try ca.rootBundlePEM.contains("BEGIN CERTIFICATE"))
        let again = try MeshCA.stored(certificatePEM: certificatePEM, keyPEM: keyPEM, trustDomain: "cluster.local")
        let reissued = try again.sign(csrPEM: try Self.request(for: Self.foo), for: Self.foo)
        #expect(await Self.verifies(reissued, roots: roots), "the CA kept in the store signs for the same root after a restart")
    }

    @Test("the TTL is the caller's, never beyond the maximum")
    func ttl() throws {
        var (ca, _, _) = try MeshCA.selfSigned(trustDomain: "cluster.local")
        let short = try ca.sign(csrPEM: try Self.request(for: Self.foo), for: Self.foo, ttl: .seconds(5))
        #expect(abs(short.certificate.notValidAfter.timeIntervalSince(short.certificate.notValidBefore) - 65) < 2)
        ca.maximumTTL = .seconds(3600)
        let capped = try ca.sign(csrPEM: try Self.request(for: Self.foo), for: Self.foo, ttl: .seconds(10 * 24 * 3600))
        #expect(abs(capped.certificate.notValidAfter.timeIntervalSince(capped.certificate.notValidBefore) - 3660) < 2)
    }

    @Test("a request for another identity, or that is not a request, is refused with the reason")
    func refusals() throws {
        let (ca, _, _) = try MeshCA.selfSigned(trustDomain: "cluster.local")
        let other = SPIFFEIdentity(trustDomain: "cluster.local", namespace: "bar", serviceAccount: "sleep")
        #expect(throws: MeshCA.Failure.identityNotAllowed(requested: other.uri, allowed: Self.foo.uri)) {
            try ca.sign(csrPEM: try Self.request(for: other), for: Self.foo)
        }
        do {
            _ = try ca.sign(csrPEM: "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n", for: Self.foo)
            Issue.record("garbage was signed")
        } catch let failure as MeshCA.Failure {
            guard case .malformedRequest = failure else { Issue.record("\(failure)"); return }
        }
    }

    @Test("Istio's sample plug-in CA: the intermediate signs, the chain goes with the leaf, workloads trust root-cert.pem")
    func pluggedIn() async throws {
        guard FileManager.default.fileExists(atPath: Self.certs.path) else {
            print("skipped: ../shared/istio-corpus is absent")
            return
        }
        let ca = try MeshCA.pluggedIn(directory: Self.certs, trustDomain: "cluster.local")
        let issued = try ca.sign(csrPEM: try Self.request(for: Self.foo), for: Self.foo)
        let caCertificate = try Certificate(pemEncoded: String(contentsOf: Self.certs.appendingPathComponent("ca-cert.pem"), encoding: .utf8))
        #expect(issued.chain.first == caCertificate, "cert-chain.pem follows the leaf")
        #expect(issued.certificate.issuer == caCertificate.subject)
        let root = try Certificate(pemEncoded: String(contentsOf: Self.certs.appendingPathComponent("root-cert.pem"), encoding: .utf8))
        #expect(ca.roots == [root])
        #expect(await Self.verifies(issued, roots: [root]), "the leaf chains through ca-cert.pem to root-cert.pem")
    }

    @Test("a plug-in CA whose key does not match its certificate (the corpus's alt-2 pair) is refused, naming both files")
    func mismatchedPair() throws {
        guard FileManager.default.fileExists(atPath: Self.certs.path) else {
            print("skipped: ../shared/istio-corpus is absent")
            return
        }
        let directory = try SampleCA.mismatchedPlugInDirectory(from: Self.certs)
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(throws: MeshCA.Failure.keyDoesNotMatchCertificate(certificate: directory.appendingPathComponent("ca-cert.pem").path,
                                                                  key: directory.appendingPathComponent("ca-key.pem").path)) {
            try MeshCA.pluggedIn(directory: directory, trustDomain: "cluster.local")
        }
        try FileManager.default.removeItem(at: directory.appendingPathComponent("root-cert.pem"))
        try FileManager.default.copyItem(at: Self.certs.appendingPathComponent("ca-key-alt.pem"), to: directory.appendingPathComponent("unused.pem"))
        #expect(throws: MeshCA.Failure.self) { try MeshCA.pluggedIn(directory: directory, trustDomain: "cluster.local") }
    }
}
