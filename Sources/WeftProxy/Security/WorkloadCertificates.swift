import NIOConcurrencyHelpers

/// The certificate a proxy serves with now; rotation swaps it whole, so a connection being set
/// up reads one certificate or the next, never a mix.
public final class WorkloadCertificates: Sendable {
    private let current = NIOLockedValueBox<WorkloadCertificate?>(nil)

    public init() {}

    public var certificate: WorkloadCertificate? { current.withLockedValue { $0 } }

    func install(_ certificate: WorkloadCertificate) {
        current.withLockedValue { $0 = certificate }
    }
}
