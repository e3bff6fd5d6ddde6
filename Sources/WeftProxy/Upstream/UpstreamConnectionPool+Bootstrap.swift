import NIOCore
import NIOPosix
import NIOSSL
import WeftModel

/// How upstream sockets are made: from the pod IP, no Nagle, and the cluster's TCP keepalive
/// (`UpstreamBootstrap`), secured as the cluster says.
extension UpstreamConnectionPool {
    /// A connection whose bytes are spliced (a CONNECT tunnel, a TCP listener's), secured as
    /// `transport` says: handed over once a TLS handshake is done and the server's identity checked.
    func connectTunnel(host: String, port: Int, connectTimeout: TimeAmount, transport: UpstreamTransport = .plaintext,
                       cluster: String? = nil, keepalive: TCPKeepalive? = nil, proxyProtocol: UpstreamProxyProtocol? = nil) -> EventLoopFuture<any Channel> {
        connectSecured(host: host, port: port, cluster: cluster, connectTimeout: connectTimeout, transport: transport, carrying: .tcp,
                       halfClosure: true, keepalive: keepalive, proxyProtocol: proxyProtocol).map(\.channel)
    }

    /// A new connection secured as `transport` says (TLS and the server's identity checked before it
    /// is handed over), with `add`'s handlers behind the TLS ones; `secured` says whether TLS is on.
    /// `halfClosure`: a plaintext connection reports the peer's half-close instead of closing.
    /// TLS handshakes and their failures are counted on `cluster`. `carrying` picks the ALPN offered to a sidecar.
    /// `proxyProtocol`: a PROXY protocol header goes first, before TLS.
    func connectSecured(host: String, port: Int, cluster: String?, connectTimeout: TimeAmount, transport: UpstreamTransport,
                        carrying: MeshTLSContexts.Carried, halfClosure: Bool = false,
                        keepalive: TCPKeepalive? = nil, proxyProtocol: UpstreamProxyProtocol? = nil,
                        add: @escaping @Sendable (any Channel) throws -> Void = { _ in }) -> EventLoopFuture<(channel: any Channel, secured: Bool)> {
        eventLoop.preconditionInEventLoop()
        let source = cluster?.hasPrefix("inbound|") == true ? inboundSourceAddress : nil
        let security: UpstreamSecurity?
        do {
            security = try upstreamSecurity(transport, carrying: carrying)
        } catch {
            if let cluster { stats?.increment(cluster: cluster, error is NoWorkloadCertificate ? "ssl.no_certificate" : "ssl.context_error") }
            return eventLoop.makeFailedFuture(error)
        }
        guard let security else {
            var plain = bootstrap(to: host, connectTimeout: connectTimeout, keepalive: keepalive, source: source)
            plain.halfClosure = halfClosure
            return plain
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let proxyProtocol { try channel.pipeline.syncOperations.addHandler(UpstreamProxyProtocolWriter(proxyProtocol)) }
                        try add(channel)
                    }
                }
                .connect(host: host, port: port)
                .map { (channel: $0, secured: false) }
        }
        let tlsHandshake = UpstreamTLSHandshake(allowedNames: security.allowedNames, timeout: connectTimeout, promise: eventLoop.makePromise())
        let done = tlsHandshake.handshakeDone
        let handshake = NIOLoopBound(tlsHandshake, eventLoop: eventLoop)
        let stats = self.stats
        return bootstrap(to: host, connectTimeout: connectTimeout, keepalive: keepalive, source: source)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let proxyProtocol { try channel.pipeline.syncOperations.addHandler(UpstreamProxyProtocolWriter(proxyProtocol)) }
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: security.context, serverHostname: security.serverName))
                    try channel.pipeline.syncOperations.addHandler(handshake.value)
                    try add(channel)
                }
            }
            .connect(host: host, port: port)
            .flatMap { channel in done.map { (channel: channel, secured: true) } }
            .map { connection in
                if let cluster { stats?.increment(cluster: cluster, "ssl.handshake") }
                return connection
            }
            .flatMapErrorThrowing { error in
                if let cluster, let failure = error as? UpstreamTLSHandshake.Failure { stats?.increment(cluster: cluster, failure.stat) }
                throw error
            }
    }

    /// `source`: bind this address instead of the pod IP.
    func bootstrap(to host: String, connectTimeout: TimeAmount, keepalive: TCPKeepalive? = nil, source: String? = nil) -> UpstreamBootstrap {
        var local: SocketAddress?
        if let source, let address = try? SocketAddress(ipAddress: source, port: 0) {
            local = address
        } else if let sourceAddress, let address = try? SocketAddress(ipAddress: sourceAddress, port: 0), !(host.hasPrefix("127.") == false && sourceAddress.hasPrefix("127.")) {
            // A loopback pod IP can only reach loopback peers: bind it only then.
            local = address
        }
        return UpstreamBootstrap(group: eventLoop, connectTimeout: connectTimeout, resolver: ProxyDNS.shared.resolver(on: eventLoop),
                                 source: local, keepalive: keepalive)
    }
}

/// The TLS a new upstream connection is opened with: the context, the SNI, and the names the
/// server's certificate may carry (empty: any the context verifies).
struct UpstreamSecurity {
    var context: NIOSSLContext
    var serverName: String?
    var allowedNames: [String]
}

extension UpstreamConnectionPool {
    /// Thrown for mutual TLS before the proxy holds a workload certificate.
    struct NoWorkloadCertificate: Error {}

    /// The TLS of `transport`, nil for plaintext; to a sidecar, ALPN says what the connection carries.
    func upstreamSecurity(_ transport: UpstreamTransport, carrying: MeshTLSContexts.Carried) throws -> UpstreamSecurity? {
        switch transport {
        case .plaintext:
            return nil
        case .istioMutual(let sni, let identities):
            guard let contexts = certificates?.contexts else { throw NoWorkloadCertificate() }
            return UpstreamSecurity(context: contexts.client(carrying: carrying), serverName: sni, allowedNames: identities)
        case .originate(let tls, let sni):
            let context = try originationContexts[tls] ?? {
                let made = try NIOSSLContext(configuration: Self.originationConfiguration(tls))
                originationContexts[tls] = made
                return made
            }()
            return UpstreamSecurity(context: context, serverName: sni.isEmpty || sni.first?.isNumber == true ? nil : sni, allowedNames: tls.subjectAltNames)
        }
    }

    /// A DestinationRule's SIMPLE or MUTUAL settings as a TLS client configuration.
    static func originationConfiguration(_ tls: UpstreamTLS) throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        // No caCertificates: the proxy's system store (Istio's image's), or the bundle WEFT_CA_BUNDLE names in its place.
        if let pem = tls.caCertificatesPEM {
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8)))
        } else if let file = tls.caCertificates ?? ProxyEnvironmentValue.read("WEFT_CA_BUNDLE") {
            configuration.trustRoots = .file(file)
        }
        // The names are checked after the handshake, against `subjectAltNames` (UpstreamTLSHandshake).
        configuration.certificateVerification = tls.insecureSkipVerify ? .none : .noHostnameVerification
        if tls.mode == .mutual, let certificate = tls.clientCertificatePEM, let key = tls.privateKeyPEM {
            configuration.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(certificate.utf8)).map { .certificate($0) }
            configuration.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(key.utf8), format: .pem))
        } else if tls.mode == .mutual, let certificate = tls.clientCertificate, let key = tls.privateKey {
            configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) }
            // PEM whatever the file's extension (NIOSSL's `.file` guesses the format from it).
            configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
        }
        return configuration
    }
}
