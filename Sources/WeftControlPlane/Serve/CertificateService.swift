import Foundation
import GRPCCore
import Logging
import NIOConcurrencyHelpers
import WeftDiscovery
import WeftModel

/// Istio's `IstioCertificateService.CreateCertificate` beside discovery: a proxy sends a CSR for
/// its workload's identity and gets the chain back. A malformed request or one for another
/// identity is refused (INVALID_ARGUMENT, PERMISSION_DENIED) and counted by reason.
struct CertificateService: Weft_Discovery_V1_IstioCertificateService.SimpleServiceProtocol {
    let ca: MeshCA
    let counters: CertificateCounters
    let logger: Logger

    func createCertificate(request: Weft_Discovery_V1_IstioCertificateRequest, context: ServerContext) async throws -> Weft_Discovery_V1_IstioCertificateResponse {
        guard !request.namespace.isEmpty, !request.serviceAccount.isEmpty else {
            counters.increment("csr_refused.no_identity")
            throw RPCError(code: .invalidArgument, message: "a certificate request names the workload's namespace and service account")
        }
        let identity = SPIFFEIdentity(trustDomain: ca.trustDomain, namespace: request.namespace, serviceAccount: request.serviceAccount)
        let ttl: Duration? = request.validityDuration > 0 ? .seconds(request.validityDuration) : nil
        do {
            let issued = try ca.sign(csrPEM: request.csr, for: identity, ttl: ttl)
            counters.increment("csr_signed")
            var response = Weft_Discovery_V1_IstioCertificateResponse()
            // Istio's order: the leaf, the CA's chain, then the root the workload trusts.
            let roots = ca.roots.filter { !issued.chain.contains($0) }
            response.certChain = try ([issued.certificate] + issued.chain + roots).map { try $0.serializeAsPEM().pemString }
            return response
        } catch let failure as MeshCA.Failure {
            let (reason, code): (String, RPCError.Code)
            switch failure {
            case .identityNotAllowed: (reason, code) = ("csr_refused.identity", .permissionDenied)
            default: (reason, code) = ("csr_refused.malformed", .invalidArgument)
            }
            counters.increment(reason)
            logger.warning("certificate request refused", metadata: ["identity": "\(identity)", "reason": "\(failure)"])
            throw RPCError(code: code, message: "\(failure)")
        }
    }
}

/// What the CA did with the requests it got, by outcome (`csr_signed`, `csr_refused.identity`, ...).
public final class CertificateCounters: Sendable {
    private let counts = NIOLockedValueBox<[String: Int]>([:])

    public init() {}

    func increment(_ name: String) { counts.withLockedValue { $0[name, default: 0] += 1 } }

    public var all: [String: Int] { counts.withLockedValue { $0 } }
}
