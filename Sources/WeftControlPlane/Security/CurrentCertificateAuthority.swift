import NIOConcurrencyHelpers

/// The mesh CA in use: read per certificate request and per listing of the published root, and
/// replaced whole when a plugged-in CA's files change (`CertificateAuthorityReloadService`).
public final class CurrentCertificateAuthority: Sendable {
    private let current: NIOLockedValueBox<MeshCA>

    public init(_ ca: MeshCA) { current = NIOLockedValueBox(ca) }

    public var ca: MeshCA { current.withLockedValue { $0 } }

    /// Installs `next`, keeping the TTL settings of the one it replaces.
    func replace(with next: MeshCA) {
        current.withLockedValue { ca in
            var next = next
            next.defaultTTL = ca.defaultTTL
            next.maximumTTL = ca.maximumTTL
            ca = next
        }
    }
}
