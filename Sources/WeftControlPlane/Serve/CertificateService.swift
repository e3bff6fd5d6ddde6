import Foundation
import GRPCCore
import Logging
import NIOConcurrencyHelpers
import WeftDiscovery
import WeftModel

/// Istio's `IstioCertificateService.CreateCertificate` beside discovery: a proxy sends a CSR for
/// its workload's identity, with its credential as `authorization: Bearer TOKEN` metadata (Istio
/// sends the pod's service account token there), and gets the chain back. No credential
/// (UNAUTHENTICATED), a credential for another identity (PERMISSION_DENIED), a malformed request
/// or one asking for another identity (INVALID_ARGUMENT, PERMISSION_DENIED): refused and counted.
struct CertificateService: Weft_Discovery_V1_IstioCertificateService.ServiceProtocol {
    let current: CurrentCertificateAuthority
    let credentials: MeshCredentials
    let counters: CertificateCounters
    let logger: Logger

    func createCertificate(request: ServerRequest<Weft_Discovery_V1_IstioCertificateRequest>,
                           context: ServerContext) async throws -> ServerResponse<Weft_Discovery_V1_IstioCertificateResponse> {
        let token = request.metadata[stringValues: "authorization"].first(where: { _ in true }).flatMap(MeshCredentials.bearer)
        return ServerResponse(message: try createCertificate(request.message, token: token))
    }

    func createCertificate(_ request: Weft_Discovery_V1_IstioCertificateRequest, token: String?) throws -> Weft_Discovery_V1_IstioCertificateResponse {
        guard !request.namespace.isEmpty, !request.serviceAccount.isEmpty else {
            counters.increment("csr_refused.no_identity")
            throw RPCError(code: .invalidArgument, message: "a certificate request names the workload's namespace and service account")
        }
        switch credentials.verify(token) {
        case .failure(let refusal):
            counters.increment(refusal == .missing ? "csr_refused.no_credential" : "csr_refused.bad_credential")
            logger.warning("certificate request refused", metadata: ["namespace": "\(request.namespace)", "serviceAccount": "\(request.serviceAccount)", "reason": "\(refusal)"])
            throw RPCError(code: .unauthenticated, message: "\(refusal)")
        case .success(let holder) where !MeshCredentials.allows(holder, namespace: request.namespace, serviceAccount: request.serviceAccount):
            counters.increment("csr_refused.credential")
            let message = "the credential is for \(holder), not for service account \(request.serviceAccount) in namespace \(request.namespace)"
            logger.warning("certificate request refused", metadata: ["reason": "\(message)"])
            throw RPCError(code: .permissionDenied, message: message)
        case .success:
            break
        }
        let ca = current.ca
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
