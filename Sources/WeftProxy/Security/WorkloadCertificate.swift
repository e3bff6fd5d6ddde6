import Crypto
import Foundation
import SwiftASN1
import WeftModel
import X509

/// The workload's certificate as its proxy holds it: a key made here (it never leaves the
/// proxy), and the chain the mesh CA signed for the workload's SPIFFE identity, leaf first.
public struct WorkloadCertificate: Sendable {
    public let identity: SPIFFEIdentity
    let privateKey: P256.Signing.PrivateKey
    public let leaf: Certificate
    /// The CA's certificates between the leaf and the root.
    public let intermediates: [Certificate]
    /// The self-signed roots the chain ends with, as the CA sent them: the bundle the proxy
    /// trusts (two during a root change, as Istio's `root-cert-combined.pem`).
    public let roots: [Certificate]
    /// When the proxy got it (the CA backdates `notBefore` for clock skew).
    public let receivedAt: Date

    /// Why a signed chain cannot be used.
    public enum Failure: Error, CustomStringConvertible {
        case emptyChain
        case notOurKey
        case wrongIdentity(String)

        public var description: String {
            switch self {
            case .emptyChain: return "the CA sent no certificate"
            case .notOurKey: return "the certificate is not for the key this proxy made"
            case .wrongIdentity(let names): return "the certificate names \(names), not the workload's identity"
            }
        }
    }

    /// A fresh key and a CSR for `identity` (URI SAN), as Istio's agent makes them.
    public static func request(for identity: SPIFFEIdentity) throws -> (key: P256.Signing.PrivateKey, csrPEM: String) {
        let key = P256.Signing.PrivateKey()
        let extensions = try Certificate.Extensions { SubjectAlternativeNames([.uniformResourceIdentifier(identity.uri)]) }
        let csr = try CertificateSigningRequest(version: .v1, subject: DistinguishedName(), privateKey: Certificate.PrivateKey(key),
                                                attributes: CertificateSigningRequest.Attributes([.init(ExtensionRequest(extensions: extensions))]))
        return (key, try csr.serializeAsPEM().pemString)
    }

    /// The signed chain for `key`: checked to be for that key and that identity.
    public init(identity: SPIFFEIdentity, key: P256.Signing.PrivateKey, chainPEM: [String]) throws {
        let chain = try chainPEM.map { try Certificate(pemEncoded: $0) }
        guard let leaf = chain.first else { throw Failure.emptyChain }
        guard leaf.publicKey == Certificate.PublicKey(key.publicKey) else { throw Failure.notOurKey }
        let names = (try? leaf.extensions.subjectAlternativeNames).flatMap { $0 }.map(Array.init) ?? []
        // The namespace and service account asked for, in the CA's trust domain (MeshConfig's, which
        // the proxy need not know beforehand).
        guard names.count == 1, case .uniformResourceIdentifier(let uri) = names[0], let granted = SPIFFEIdentity(uri: uri),
              granted.namespace == identity.namespace, granted.serviceAccount == identity.serviceAccount else { throw Failure.wrongIdentity("\(names)") }
        self.identity = granted
        self.privateKey = key
        self.leaf = leaf
        var rest = Array(chain.dropFirst())
        var roots: [Certificate] = []
        while let last = rest.last, last.subject == last.issuer {
            roots.insert(last, at: 0)
            rest.removeLast()
        }
        self.roots = roots
        self.intermediates = rest
        self.receivedAt = Date()
    }

    public var serialNumber: String { leaf.serialNumber.bytes.map { String(format: "%02x", $0) }.joined() }
    public var notBefore: Date { leaf.notValidBefore }
    public var notAfter: Date { leaf.notValidAfter }

    /// Istio's agent renews at half of the certificate's life (counted from when it arrived).
    public var renewalTime: Date { receivedAt.addingTimeInterval(notAfter.timeIntervalSince(receivedAt) / 2) }

    /// The leaf and the intermediates, PEM (what the proxy presents).
    public var chainPEM: String { Self.pem([leaf] + intermediates) }
    public var rootPEM: String { Self.pem(roots) }

    private static func pem(_ certificates: [Certificate]) -> String {
        guard !certificates.isEmpty, let text = try? certificates.map({ try $0.serializeAsPEM().pemString }).joined(separator: "\n") else { return "" }
        return text + "\n"
    }
}
