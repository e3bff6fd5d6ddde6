import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import ServiceLifecycle
import WeftDiscovery
import WeftModel

/// The gRPC side of Serve: one bidirectional stream per proxy (Istio's ADS on 15010).
struct AggregatedDiscovery: Weft_Discovery_V1_AggregatedDiscoveryService.SimpleServiceProtocol {
    let hub: ProxyHub

    func streamAggregatedResources(
        request: RPCAsyncSequence<Weft_Discovery_V1_DiscoveryRequest, any Error>,
        response: RPCWriter<Weft_Discovery_V1_DiscoveryResponse>,
        context: ServerContext
    ) async throws {
        var connection: Int?
        do {
            try await withThrowingDiscardingTaskGroup { group in
                for try await message in request {
                    if connection == nil {
                        let (id, pushes) = await hub.connect(Self.node(message.node), subscribing: message.typeURL)
                        connection = id
                        group.addTask {
                            for await push in pushes { try await response.write(Self.response(push)) }
                        }
                    }
                    guard let id = connection else { continue }
                    if message.hasNode { await hub.readinessChanged(id, ready: message.node.ready) }
                    await hub.subscribe(id, typeURL: message.typeURL)
                    await hub.received(id, typeURL: message.typeURL, version: message.versionInfo, nonce: message.responseNonce,
                                       error: message.hasErrorDetail ? message.errorDetail.message : nil)
                }
                // The proxy closed its side: stop pushing.
                group.cancelAll()
            }
        } catch {
            if let connection { await hub.disconnect(connection) }
            throw error
        }
        if let connection { await hub.disconnect(connection) }
    }

    static func node(_ node: Weft_Discovery_V1_Node) -> ProxyHub.Node {
        let identity = ProxyIdentity(id: node.id, namespace: node.namespace.isEmpty ? "default" : node.namespace, labels: node.labels,
                                     serviceAccount: node.serviceAccount.isEmpty ? "default" : node.serviceAccount,
                                     mode: ProxyIdentity.Mode(rawValue: node.mode) ?? .sidecar, ports: node.ports.mapValues { Int($0) })
        var result = ProxyHub.Node(identity: identity, podIP: node.podIp, ports: node.ports.mapValues { Int($0) },
                                   workloadName: node.workloadName.isEmpty ? node.id : node.workloadName, ready: node.ready)
        result.adminAddress = node.adminAddress
        return result
    }

    static func response(_ push: ProxyHub.Push) -> Weft_Discovery_V1_DiscoveryResponse {
        var response = Weft_Discovery_V1_DiscoveryResponse()
        response.typeURL = push.typeURL
        response.versionInfo = push.version
        response.nonce = push.nonce
        response.resources = push.resources.map { item in
            var resource = Weft_Discovery_V1_Resource()
            resource.name = item.name
            resource.version = push.version
            resource.payload = item.payload
            return resource
        }
        return response
    }
}

/// Runs the discovery gRPC server and feeds the hub each new snapshot.
public struct DiscoveryService: ServiceLifecycle.Service {
    let host: String
    let port: Int
    let ingest: ConfigIngest
    let hub: ProxyHub
    /// Signs workload certificates (IstioCertificateService on the same listener).
    let certificates: CertificateService?
    let logger: Logger
    let onBound: @Sendable (Int) -> Void
    /// TLS when listening beyond loopback (the certificate chain and key, PEM).
    var tls: (chainPEM: String, keyPEM: String)?

    /// `credentials`: what a certificate request must present (a fresh key, so none passes, when nil).
    public init(host: String, port: Int, ingest: ConfigIngest, hub: ProxyHub, ca: CurrentCertificateAuthority? = nil, credentials: MeshCredentials? = nil,
                certificateCounters: CertificateCounters = CertificateCounters(), logger: Logger, onBound: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.host = host
        self.port = port
        self.ingest = ingest
        self.hub = hub
        let credentials = credentials ?? MeshCredentials(key: .init(size: .bits256))
        self.certificates = ca.map { CertificateService(current: $0, credentials: credentials, counters: certificateCounters, logger: logger) }
        self.logger = logger
        self.onBound = onBound
    }

    public func run() async throws {
        let security: HTTP2ServerTransport.Posix.TransportSecurity = tls.map { tls in
            .tls(certificateChain: [.bytes(Array(tls.chainPEM.utf8), format: .pem)], privateKey: .bytes(Array(tls.keyPEM.utf8), format: .pem))
        } ?? .plaintext
        let transport = HTTP2ServerTransport.Posix(address: .ipv4(host: host, port: port), transportSecurity: security)
        var services: [any RegistrableRPCService] = [AggregatedDiscovery(hub: hub)]
        if let certificates { services.append(certificates) }
        let server = GRPCServer(transport: transport, services: services)
        // Proxy streams never end on their own, so a graceful stop would wait forever: shutting
        // down cancels them; proxies keep serving their last configuration and reconnect later.
        do {
            try await discover(transport: transport, server: server)
        } catch where Task.isShuttingDownGracefully || Task.isCancelled {
            logger.debug("discovery stopped", metadata: ["reason": "\(error)"])
        }
    }

    private func discover(transport: HTTP2ServerTransport.Posix, server: GRPCServer<HTTP2ServerTransport.Posix>) async throws {
        try await cancelWhenGracefulShutdown {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { try await server.serve() }
                if let address = try await transport.listeningAddress.ipv4 { onBound(address.port) }
                let snapshots = await ingest.snapshots()
                for await snapshot in snapshots {
                    await hub.update(snapshot)
                }
                server.beginGracefulShutdown()
            }
        }
    }
}
