import Crypto
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import Testing
import WeftDiscovery
import WeftModel
import X509
@testable import WeftControlPlane

/// IstioCertificateService over a real gRPC connection on loopback: what it signs, what it
/// refuses (with which status), and that each outcome is counted.
@Suite("certificate service")
struct CertificateServiceTests {
    @Test("a request for the named identity is signed (leaf, then root); another identity is PERMISSION_DENIED, garbage INVALID_ARGUMENT; no or a forged credential UNAUTHENTICATED, another's PERMISSION_DENIED; all counted")
    func signAndRefuse() async throws {
        let (ca, _, _) = try MeshCA.selfSigned(trustDomain: "cluster.local")
        let counters = CertificateCounters()
        let credentials = MeshCredentials(key: SymmetricKey(size: .bits256))
        let transport = HTTP2ServerTransport.Posix(address: .ipv4(host: "127.0.0.1", port: 0), transportSecurity: .plaintext)
        let server = GRPCServer(transport: transport, services: [CertificateService(current: CurrentCertificateAuthority(ca), credentials: credentials, counters: counters, logger: Logger(label: "test"))])
        let administrator: Metadata = ["authorization": "Bearer \(credentials.issue(.administrator))"]
        let fooToken: Metadata = ["authorization": "Bearer \(credentials.issue(.workload(namespace: "foo", serviceAccount: "httpbin"), ttl: .seconds(3600)))"]
        let forged: Metadata = ["authorization": "Bearer \(MeshCredentials(key: SymmetricKey(size: .bits256)).issue(.administrator))"]
        let foo = SPIFFEIdentity(trustDomain: "cluster.local", namespace: "foo", serviceAccount: "httpbin")
        let bar = SPIFFEIdentity(trustDomain: "cluster.local", namespace: "bar", serviceAccount: "sleep")
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await server.serve() }
            let port = try #require(try await transport.listeningAddress.ipv4).port
            let clientTransport = try HTTP2ClientTransport.Posix(target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: .plaintext)
            try await withGRPCClient(transport: clientTransport) { client in
                let service = Weft_Discovery_V1_IstioCertificateService.Client(wrapping: client)
                func request(csrFor identity: SPIFFEIdentity, as caller: SPIFFEIdentity) throws -> Weft_Discovery_V1_IstioCertificateRequest {
                    var request = Weft_Discovery_V1_IstioCertificateRequest()
                    request.csr = try MeshCATests.request(for: identity)
                    request.namespace = caller.namespace
                    request.serviceAccount = caller.serviceAccount
                    request.validityDuration = 60
                    return request
                }
                let signed = try await service.createCertificate(try request(csrFor: foo, as: foo), metadata: fooToken)
                #expect(signed.certChain.count == 2, "the leaf, then the self-signed root")
                let leaf = try Certificate(pemEncoded: try #require(signed.certChain.first))
                #expect(try leaf.extensions.subjectAlternativeNames.map(Array.init) == [.uniformResourceIdentifier(foo.uri)])

                await #expect { try await service.createCertificate(try request(csrFor: bar, as: foo), metadata: administrator) } throws: { error in
                    (error as? RPCError)?.code == .permissionDenied
                }
                var garbage = try request(csrFor: foo, as: foo)
                garbage.csr = "not a request"
                await #expect { try await service.createCertificate(garbage, metadata: administrator) } throws: { error in
                    (error as? RPCError)?.code == .invalidArgument
                }
                await #expect { try await service.createCertificate(try request(csrFor: foo, as: foo)) } throws: { error in
                    (error as? RPCError)?.code == .unauthenticated
                }
                await #expect { try await service.createCertificate(try request(csrFor: foo, as: foo), metadata: forged) } throws: { error in
                    (error as? RPCError)?.code == .unauthenticated
                }
                await #expect { try await service.createCertificate(try request(csrFor: bar, as: bar), metadata: fooToken) } throws: { error in
                    (error as? RPCError)?.code == .permissionDenied
                }
            }
            server.beginGracefulShutdown()
        }
        #expect(counters.all == ["csr_signed": 1, "csr_refused.identity": 1, "csr_refused.malformed": 1, "csr_refused.no_credential": 1,
                                 "csr_refused.bad_credential": 1, "csr_refused.credential": 1])
    }
}
