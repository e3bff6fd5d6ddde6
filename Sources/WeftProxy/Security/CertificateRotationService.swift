import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import ServiceLifecycle
import WeftDiscovery
import WeftModel

/// Istio's agent SDS loop: makes a key and a CSR for the workload's identity, has the control
/// plane sign it, installs the chain, and does it again at half-life, so the certificate never
/// expires under a running proxy. A failed request is retried with backoff; the certificate in use
/// keeps serving meanwhile.
public struct CertificateRotationService: Service {
    let host: String
    let port: Int
    let identity: SPIFFEIdentity
    /// Istio's `SECRET_TTL`; nil takes the CA's default.
    let ttl: Duration?
    /// The credential sent as `authorization: Bearer` (Istio sends the service account token).
    let token: String?
    /// The mesh root the control plane's TLS is checked with; nil for plaintext (loopback).
    let rootPEM: String?
    let certificates: WorkloadCertificates
    let stats: ProxyStats
    let logger: Logger

    public init(host: String, port: Int, identity: SPIFFEIdentity, ttl: Duration?, token: String? = nil, rootPEM: String? = nil,
                certificates: WorkloadCertificates, stats: ProxyStats, logger: Logger) {
        self.token = token
        self.rootPEM = rootPEM
        self.host = host
        self.port = port
        self.identity = identity
        self.ttl = ttl
        self.certificates = certificates
        self.stats = stats
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var backoff = Duration.milliseconds(100)
            while !Task.isCancelled {
                do {
                    let certificate = try await requestCertificate()
                    try certificates.install(certificate)
                    stats.increment("certificate.issued")
                    logger.debug("workload certificate", metadata: ["identity": "\(identity)", "serial": "\(certificate.serialNumber)", "notAfter": "\(certificate.notAfter)"])
                    backoff = .milliseconds(100)
                    let wait = max(certificate.renewalTime.timeIntervalSinceNow, 0.05)
                    try? await Task.sleep(for: .milliseconds(Int64(wait * 1000)))
                } catch {
                    if Task.isCancelled { break }
                    stats.increment("certificate.request_failure")
                    logger.warning("certificate request failed", metadata: ["identity": "\(identity)", "error": "\(error)"])
                    try? await Task.sleep(for: backoff)
                    backoff = min(backoff * 2, .seconds(5))
                }
            }
        }
    }

    private func requestCertificate() async throws -> WorkloadCertificate {
        let (key, csr) = try WorkloadCertificate.request(for: identity)
        var request = Weft_Discovery_V1_IstioCertificateRequest()
        request.csr = csr
        request.namespace = identity.namespace
        request.serviceAccount = identity.serviceAccount
        if let ttl { request.validityDuration = ttl.components.seconds }
        let transport = try ControlPlaneTransport.make(host: host, port: port, rootPEM: rootPEM)
        let chain = try await withGRPCClient(transport: transport) { client in
            try await Weft_Discovery_V1_IstioCertificateService.Client(wrapping: client)
                .createCertificate(request, metadata: token.map { ["authorization": "Bearer \($0)"] } ?? [:]).certChain
        }
        return try WorkloadCertificate(identity: identity, key: key, chainPEM: chain)
    }
}
