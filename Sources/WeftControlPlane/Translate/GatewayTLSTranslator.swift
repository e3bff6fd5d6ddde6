import Foundation
import WeftAPI
import WeftModel

/// The TLS of a router's Gateway servers on one listening port, as Istio gives each server a
/// filter chain: its mode, the server names that choose it, and its credential. A
/// `credentialName` is resolved here, from a Secret of the router's namespace (Kubernetes'
/// `tls.crt`/`tls.key`/`ca.crt`, or Istio's generic `cert`/`key`/`cacert`, and the separate
/// `NAME-cacert`), so the material goes only to the gateways whose servers name it. A credential
/// that cannot be used is named with the reason, and its server refuses connections.
/// PASSTHROUGH servers get the `tls` routes of the VirtualServices bound to them.
enum GatewayTLSTranslator {
    /// Istio's separate CA Secret for MUTUAL: `NAME-cacert`.
    static let caSecretSuffix = "-cacert"

    /// The Secrets a server's TLS names, without Istio's `kubernetes://` prefix.
    static func credentialNames(_ tls: ServerTLSSettings?) -> [String] {
        guard let tls else { return [] }
        return ((tls.credentialName.map { [$0] } ?? []) + (tls.credentialNames ?? [])).filter { !$0.isEmpty }.map(secretName)
    }

    static func secretName(_ credential: String) -> String {
        credential.hasPrefix("kubernetes://") ? String(credential.dropFirst("kubernetes://".count)) : credential
    }

    /// The servers on `port` (after the router's Service port mapping) whose port protocol is
    /// HTTPS or TLS, in Gateway order.
    static func servers(port: Int, view: ProxyView, now: Double = Date().timeIntervalSince1970) -> [GatewayServerTLS] {
        var result: [GatewayServerTLS] = []
        for gateway in view.gateways {
            for server in gateway.spec.servers ?? [] {
                guard let number = server.port?.number, (view.gatewayServicePorts[number] ?? number) == port,
                      let protocolName = server.port?.protocol?.uppercased(), protocolName == "HTTPS" || protocolName == "TLS" else { continue }
                result.append(translate(server, view: view, now: now))
            }
        }
        return result
    }

    static func translate(_ server: Server, view: ProxyView, now: Double) -> GatewayServerTLS {
        let names = (server.hosts ?? []).map { host -> String in
            let parts = host.split(separator: "/", maxSplits: 1)
            return (parts.count == 2 ? String(parts[1]) : host).lowercased()
        }
        return translate(server.tls, serverNames: names, view: view, now: now)
    }

    /// A server TLS setting (a Gateway server's, a Sidecar ingress listener's) chosen by `serverNames`.
    static func translate(_ tls: ServerTLSSettings?, serverNames names: [String], view: ProxyView, now: Double = Date().timeIntervalSince1970) -> GatewayServerTLS {
        var result = GatewayServerTLS(serverNames: names.isEmpty ? ["*"] : names, mode: mode(tls?.mode))
        guard let tls, result.terminates else { return result }
        result.subjectAltNames = tls.subjectAltNames ?? []
        result.verifyCertificateSpki = tls.verifyCertificateSpki ?? []
        result.verifyCertificateHash = tls.verifyCertificateHash ?? []
        result.minimumVersion = tls.minProtocolVersion.flatMap { $0 == .TLS_AUTO ? nil : $0.rawValue }
        result.maximumVersion = tls.maxProtocolVersion.flatMap { $0 == .TLS_AUTO ? nil : $0.rawValue }
        result.cipherSuites = tls.cipherSuites ?? []
        guard result.mode != .istioMutual else { return result }
        if let credential = credentialNames(tls).first {
            result.credentialName = credential
            resolve(credential, into: &result, view: view, now: now)
        } else {
            result.certificateChainFile = tls.serverCertificate ?? tls.tlsCertificates?.first?.serverCertificate
            result.privateKeyFile = tls.privateKey ?? tls.tlsCertificates?.first?.privateKey
            result.caCertificatesFile = tls.caCertificates ?? tls.tlsCertificates?.first?.caCertificates
        }
        return result
    }

    private static func mode(_ mode: ServerTLSSettings.Mode?) -> GatewayServerTLS.Mode {
        switch mode {
        case .SIMPLE?: .simple
        case .MUTUAL?: .mutual
        case .OPTIONAL_MUTUAL?: .optionalMutual
        case .ISTIO_MUTUAL?: .istioMutual
        // Istio's zero value; AUTO_PASSTHROUGH is for multi-network east-west gateways, routed the same way here.
        case .PASSTHROUGH?, .AUTO_PASSTHROUGH?, nil: .passthrough
        }
    }

    /// Reads the credential's Secret (and `NAME-cacert`) into the server, or says why it cannot serve.
    private static func resolve(_ credential: String, into server: inout GatewayServerTLS, view: ProxyView, now: Double) {
        let namespace = view.proxy.namespace
        guard let secret = view.gatewaySecrets[credential] else {
            server.credentialError = "secret \(namespace)/\(credential) not found"
            return
        }
        let read = CredentialSecret(secret, caSecret: view.gatewaySecrets[credential + caSecretSuffix])
        guard let certificate = read.certificate, let key = read.key else {
            server.credentialError = "secret \(namespace)/\(credential) has no tls.crt and tls.key (or cert and key)"
            return
        }
        guard certificate.contains("-----BEGIN CERTIFICATE-----"), key.contains("-----BEGIN") && key.contains("PRIVATE KEY-----") else {
            server.credentialError = "secret \(namespace)/\(credential): the certificate or key is not PEM"
            return
        }
        if let notAfter = X509Validity.notAfter(pem: certificate), notAfter <= now {
            server.credentialError = "secret \(namespace)/\(credential): the certificate expired"
            return
        }
        server.certificateChain = certificate
        server.privateKey = key
        server.caCertificates = read.caCertificates
        if (server.mode == .mutual || server.mode == .optionalMutual) && server.caCertificates == nil {
            server.credentialError = "secret \(namespace)/\(credential) has no ca.crt (nor \(credential)\(caSecretSuffix)) for \(server.mode == .mutual ? "MUTUAL" : "OPTIONAL_MUTUAL")"
        }
    }

    /// A DestinationRule's `credentialName` on a gateway (TLS origination with the gateway's client
    /// certificate): the Secret's certificate, key and CA as PEM in the cluster's TLS. Sidecars get
    /// none (Istio reads credentialName at gateways only); a Secret that is missing leaves the files.
    static func resolveClientCredential(_ tls: inout UpstreamTLS, view: ProxyView) {
        guard view.proxy.mode == .router, let name = tls.credentialName, let secret = view.gatewaySecrets[name] else { return }
        let read = CredentialSecret(secret, caSecret: view.gatewaySecrets[name + caSecretSuffix])
        tls.clientCertificatePEM = read.certificate
        tls.privateKeyPEM = read.key
        tls.caCertificatesPEM = read.caCertificates
    }

    /// The `tls` routes of the VirtualServices bound to the PASSTHROUGH servers on `port`, by server name.
    /// `serverPort`: the Gateway server's own port number, a destination's port when it names none.
    static func passthroughRoutes(port: Int, serverPort: Int, gatewayNames: Set<String>, view: ProxyView) -> [SNIRoute] {
        var routes: [SNIRoute] = []
        for virtualService in view.virtualServices {
            let bound = (virtualService.spec.gateways ?? []).map { HTTPRouteTranslator.gatewayKey($0, vsNamespace: virtualService.namespace) }
            guard !gatewayNames.isDisjoint(with: bound) else { continue }
            for route in virtualService.spec.tls ?? [] {
                let names = (route.match ?? []).filter { match in
                    let gateways = (match.gateways ?? []).map { HTTPRouteTranslator.gatewayKey($0, vsNamespace: virtualService.namespace) }
                    return (match.port == nil || match.port == serverPort) && (gateways.isEmpty || !gatewayNames.isDisjoint(with: gateways))
                }.flatMap { $0.sniHosts ?? [] }
                guard !names.isEmpty else { continue }
                routes.append(SNIRoute(sniHosts: names.map { $0.lowercased() },
                                       destinations: EgressListenerTranslator.weighted(route.route ?? [], namespace: virtualService.namespace, port: serverPort)))
            }
        }
        return routes
    }
}
