import Crypto
import Foundation
import SwiftASN1
import WeftModel
import X509

/// The mesh's certificate authority (Istio's Citadel): signs workload certificates for the
/// identities their sidecars may hold, from a certificate signing request whose key never left
/// the proxy. Either a self-signed root made at first start, or a plugged-in intermediate (Istio's
/// `cacerts`). A value: reloading the plugged-in files makes a new one.
public struct MeshCA: Sendable {
    /// The certificate that signs workload certificates, and its key.
    public let signingCertificate: Certificate
    let signingKey: Certificate.PrivateKey
    /// From the signing certificate up to (not including) the root: sent with every workload certificate.
    public let chain: [Certificate]
    /// The roots workloads trust (`root-cert.pem`; more than one while a root changes).
    public let roots: [Certificate]
    public let trustDomain: String
    /// Istio's `DEFAULT_WORKLOAD_CERT_TTL` (24 h) and `MAX_WORKLOAD_CERT_TTL` (90 days).
    public var defaultTTL: Duration = .seconds(24 * 3600)
    public var maximumTTL: Duration = .seconds(90 * 24 * 3600)

    /// Why a CA could not be loaded or a certificate not issued.
    public enum Failure: Error, CustomStringConvertible, Equatable {
        case missingFile(String)
        case unreadable(file: String, reason: String)
        case keyDoesNotMatchCertificate(certificate: String, key: String)
        case notACertificateAuthority(String)
        case malformedRequest(String)
        case identityNotAllowed(requested: String, allowed: String)

        public var description: String {
            switch self {
            case .missingFile(let path): return "CA file \(path) is missing"
            case .unreadable(let file, let reason): return "CA file \(file) cannot be read: \(reason)"
            case .keyDoesNotMatchCertificate(let certificate, let key): return "CA key \(key) does not match the certificate \(certificate)"
            case .notACertificateAuthority(let file): return "\(file) is not a CA certificate (basicConstraints CA:TRUE is required)"
            case .malformedRequest(let reason): return "certificate signing request refused: \(reason)"
            case .identityNotAllowed(let requested, let allowed): return "certificate signing request refused: \(requested) asked, the caller may hold only \(allowed)"
            }
        }
    }

    init(signingCertificate: Certificate, signingKey: Certificate.PrivateKey, chain: [Certificate], roots: [Certificate], trustDomain: String) {
        self.signingCertificate = signingCertificate
        self.signingKey = signingKey
        self.chain = chain
        self.roots = roots
        self.trustDomain = trustDomain
    }

    /// A certificate issued to a workload: the leaf, then the chain to the root (Istio's cert-chain).
    public struct IssuedCertificate: Sendable {
        public var certificate: Certificate
        public var chain: [Certificate]
        /// The SPIFFE URI it carries.
        public var identity: String

        public var chainPEM: String {
            get throws { try ([certificate] + chain).map { try $0.serializeAsPEM().pemString }.joined(separator: "\n") + "\n" }
        }
    }

    /// Signs `csrPEM` for `identity`: the request must be well formed, signed by its own key, and
    /// ask for no identity other than `identity` (a URI SAN it names must be that one). The
    /// certificate lives `ttl` (the default when nil, never past the maximum).
    public func sign(csrPEM: String, for identity: SPIFFEIdentity, ttl: Duration? = nil, now: Date = Date()) throws -> IssuedCertificate {
        let request: CertificateSigningRequest
        do {
            request = try CertificateSigningRequest(pemEncoded: csrPEM)
        } catch {
            throw Failure.malformedRequest("not a PEM certificate request (\(error))")
        }
        guard request.publicKey.isValidSignature(request.signature, for: request) else {
            throw Failure.malformedRequest("its signature does not verify with its own key")
        }
        let asked = (try? request.attributes.extensionRequest?.extensions.subjectAlternativeNames) ?? nil
        let requested: [GeneralName] = asked.map(Array.init) ?? []
        for name in requested {
            switch name {
            case .uniformResourceIdentifier(identity.uri): continue
            // The trust domain is the CA's (MeshConfig `trustDomain`): a proxy that does not know it
            // asks with its own default, and gets the same namespace and service account in the CA's.
            case .uniformResourceIdentifier(let uri) where SPIFFEIdentity(uri: uri).map({ $0.namespace == identity.namespace && $0.serviceAccount == identity.serviceAccount }) == true:
                continue
            case .uniformResourceIdentifier(let uri): throw Failure.identityNotAllowed(requested: uri, allowed: identity.uri)
            case .dnsName(let dns): throw Failure.identityNotAllowed(requested: "DNS:\(dns)", allowed: identity.uri)
            default: throw Failure.identityNotAllowed(requested: "\(name)", allowed: identity.uri)
            }
        }
        let lifetime = min(ttl ?? defaultTTL, maximumTTL)
        let seconds = Double(lifetime.components.seconds) + Double(lifetime.components.attoseconds) / 1e18
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
            try ExtendedKeyUsage([.serverAuth, .clientAuth])
            try AuthorityKeyIdentifier(keyIdentifier: signingCertificate.extensions.subjectKeyIdentifier?.keyIdentifier)
            Critical(SubjectAlternativeNames([.uniformResourceIdentifier(identity.uri)]))
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: request.publicKey,
            notValidBefore: now.addingTimeInterval(-60), notValidAfter: now.addingTimeInterval(seconds),
            issuer: signingCertificate.subject, subject: DistinguishedName(),
            signatureAlgorithm: Self.signatureAlgorithm(for: signingKey), extensions: extensions, issuerPrivateKey: signingKey)
        return IssuedCertificate(certificate: certificate, chain: chain, identity: identity.uri)
    }

    /// The roots, as `root-cert.pem` holds them (the `istio-ca-root-cert` ConfigMap publishes this).
    public var rootBundlePEM: String {
        get throws { try roots.map { try $0.serializeAsPEM().pemString }.joined(separator: "\n") + "\n" }
    }

    /// SHA-256 with the key's own kind (ECDSA for the self-signed root, RSA for Istio's sample CA).
    static func signatureAlgorithm(for key: Certificate.PrivateKey) -> Certificate.SignatureAlgorithm {
        if P256.Signing.PublicKey(key.publicKey) != nil { return .ecdsaWithSHA256 }
        if P384.Signing.PublicKey(key.publicKey) != nil { return .ecdsaWithSHA384 }
        return .sha256WithRSAEncryption
    }
}
