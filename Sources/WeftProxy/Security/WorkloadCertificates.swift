import NIOConcurrencyHelpers

/// The certificate a proxy serves with now, and the TLS contexts made from it; rotation swaps
/// both whole, so a connection being set up reads one certificate or the next, never a mix.
public final class WorkloadCertificates: Sendable {
    private let current = NIOLockedValueBox<(certificate: WorkloadCertificate, contexts: MeshTLSContexts)?>(nil)
    private let onInstall: @Sendable () -> Void

    /// `onInstall` runs after each certificate is installed (readiness waits for the first).
    public init(onInstall: @escaping @Sendable () -> Void = {}) {
        self.onInstall = onInstall
    }

    public var certificate: WorkloadCertificate? { current.withLockedValue { $0?.certificate } }

    /// The contexts of the certificate in use; nil until the first one arrives.
    var contexts: MeshTLSContexts? { current.withLockedValue { $0?.contexts } }

    /// Installs a certificate whose contexts could be made; a failure keeps the one in use.
    func install(_ certificate: WorkloadCertificate) throws {
        let contexts = try MeshTLSContexts(certificate)
        current.withLockedValue { $0 = (certificate, contexts) }
        onInstall()
    }
}
