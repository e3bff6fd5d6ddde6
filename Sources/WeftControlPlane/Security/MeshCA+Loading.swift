import Crypto
import Foundation
import SwiftASN1
import X509

/// Where a MeshCA comes from: made at first start (self-signed root, Istio's `istio-ca-secret`),
/// or plugged in from Istio's `cacerts` files.
extension MeshCA {
    /// Istio's self-signed root: an organization named after the trust domain, ten years.
    public static func selfSigned(trustDomain: String, now: Date = Date()) throws -> (ca: MeshCA, certificatePEM: String, keyPEM: String) {
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let name = try DistinguishedName { OrganizationName(trustDomain) }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
            Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
            SubjectKeyIdentifier(hash: key.publicKey)
        }
        let root = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: key.publicKey,
            notValidBefore: now.addingTimeInterval(-60), notValidAfter: now.addingTimeInterval(10 * 365 * 24 * 3600),
            issuer: name, subject: name, signatureAlgorithm: signatureAlgorithm(for: key), extensions: extensions, issuerPrivateKey: key)
        let ca = MeshCA(signingCertificate: root, signingKey: key, chain: [], roots: [root], trustDomain: trustDomain)
        return (ca, try root.serializeAsPEM().pemString, try key.serializeAsPEM().pemString)
    }

    /// The CA kept from an earlier start (its certificate and key, as `istio-ca-secret` holds them).
    public static func stored(certificatePEM: String, keyPEM: String, trustDomain: String) throws -> MeshCA {
        let certificate = try read("ca-cert.pem") { try Certificate(pemEncoded: certificatePEM) }
        let key = try read("ca-key.pem") { try Certificate.PrivateKey(pemEncoded: keyPEM) }
        guard certificate.publicKey == key.publicKey else { throw Failure.keyDoesNotMatchCertificate(certificate: "ca-cert.pem", key: "ca-key.pem") }
        return MeshCA(signingCertificate: certificate, signingKey: key, chain: [], roots: [certificate], trustDomain: trustDomain)
    }

    /// A plugged-in CA: `ca-cert.pem` signs with `ca-key.pem`, `cert-chain.pem` goes with every
    /// workload certificate, `root-cert.pem` is what workloads trust. A key that does not match its
    /// certificate, or a certificate that is not a CA, is refused with the file named.
    public static func pluggedIn(directory: URL, trustDomain: String) throws -> MeshCA {
        func text(_ name: String) throws -> String { try pemFile(directory.appendingPathComponent(name)) }
        let certificatePath = directory.appendingPathComponent("ca-cert.pem").path
        let keyPath = directory.appendingPathComponent("ca-key.pem").path
        let certificate = try read(certificatePath) { try Certificate(pemEncoded: try text("ca-cert.pem")) }
        let key = try read(keyPath) { try Certificate.PrivateKey(pemEncoded: try text("ca-key.pem")) }
        guard certificate.publicKey == key.publicKey else { throw Failure.keyDoesNotMatchCertificate(certificate: certificatePath, key: keyPath) }
        guard let constraints = try? certificate.extensions.basicConstraints, case .isCertificateAuthority = constraints else {
            throw Failure.notACertificateAuthority(certificatePath)
        }
        let chainFile = directory.appendingPathComponent("cert-chain.pem").path
        let chain = try read(chainFile) { try PEMDocument.parseMultiple(pemString: try text("cert-chain.pem")).map(Certificate.init(pemDocument:)) }
        let rootFile = directory.appendingPathComponent("root-cert.pem").path
        let roots = try read(rootFile) { try PEMDocument.parseMultiple(pemString: try text("root-cert.pem")).map(Certificate.init(pemDocument:)) }
        // Istio's cert-chain.pem starts with the signing certificate itself; the chain sent after a leaf does too.
        let intermediates = chain.first == certificate ? chain : [certificate] + chain
        return MeshCA(signingCertificate: certificate, signingKey: key, chain: intermediates, roots: roots, trustDomain: trustDomain)
    }

    /// A CA file's text; missing or unreadable, the failure names it.
    static func pemFile(_ url: URL) throws -> String {
        guard FileManager.default.fileExists(atPath: url.path) else { throw Failure.missingFile(url.path) }
        return try read(url.path) { try String(contentsOf: url, encoding: .utf8) }
    }

    private static func read<T>(_ file: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure.unreadable(file: file, reason: "\(error)")
        }
    }
}
