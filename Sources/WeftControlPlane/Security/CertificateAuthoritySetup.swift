import Foundation
import Logging

/// The mesh CA a control plane starts with: the plugged-in one (`--ca-dir`, Istio's `cacerts`), or
/// the self-signed root made at the first start and kept beside the store (`<data-dir>/ca/`, key
/// readable by its owner only), so that a restart keeps the root every workload trusts. A CA that
/// cannot be used stops the start-up with the reason, before anything is served.
public enum CertificateAuthoritySetup {
    public static func load(caDirectory: URL?, dataDirectory: URL?, trustDomain: String, logger: Logger) throws -> MeshCA {
        if let caDirectory {
            let ca = try MeshCA.pluggedIn(directory: caDirectory, trustDomain: trustDomain)
            logger.info("mesh CA plugged in", metadata: ["dir": "\(caDirectory.path)", "signer": "\(ca.signingCertificate.subject)"])
            return ca
        }
        guard let dataDirectory else {
            logger.info("mesh CA: a self-signed root for this run (in-memory store)")
            return try MeshCA.selfSigned(trustDomain: trustDomain).ca
        }
        let directory = dataDirectory.appendingPathComponent("ca")
        let certificateFile = directory.appendingPathComponent("ca-cert.pem")
        let keyFile = directory.appendingPathComponent("ca-key.pem")
        let files = FileManager.default
        if files.fileExists(atPath: certificateFile.path) || files.fileExists(atPath: keyFile.path) {
            let ca = try MeshCA.kept(certificateFile: certificateFile, keyFile: keyFile, trustDomain: trustDomain)
            logger.info("mesh CA: the self-signed root made at the first start", metadata: ["dir": "\(directory.path)"])
            return ca
        }
        let (ca, certificatePEM, keyPEM) = try MeshCA.selfSigned(trustDomain: trustDomain)
        try files.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try Data(certificatePEM.utf8).write(to: certificateFile, options: .atomic)
        try Data(keyPEM.utf8).write(to: keyFile, options: .atomic)
        try files.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyFile.path)
        logger.info("mesh CA: made a self-signed root", metadata: ["dir": "\(directory.path)", "trustDomain": "\(trustDomain)"])
        return ca
    }
}

extension MeshCA {
    /// The self-signed root kept from an earlier start.
    static func kept(certificateFile: URL, keyFile: URL, trustDomain: String) throws -> MeshCA {
        do {
            return try stored(certificatePEM: try pemFile(certificateFile), keyPEM: try pemFile(keyFile), trustDomain: trustDomain)
        } catch Failure.keyDoesNotMatchCertificate {
            throw Failure.keyDoesNotMatchCertificate(certificate: certificateFile.path, key: keyFile.path)
        }
    }
}
