import WeftModel

extension Weft_Discovery_V1_UpstreamTLS {
    public init(_ model: UpstreamTLS) {
        self.init()
        switch model.mode {
        case .auto: mode = .auto
        case .disable: mode = .disable
        case .simple: mode = .simple
        case .mutual: mode = .mutual
        case .istioMutual: mode = .istioMutual
        }
        if let sni = model.sni { self.sni = sni }
        subjectAltNames = model.subjectAltNames
        if let file = model.clientCertificate { clientCertificate = file }
        if let file = model.privateKey { privateKey = file }
        if let file = model.caCertificates { caCertificates = file }
        insecureSkipVerify = model.insecureSkipVerify
        if let name = model.credentialName { credentialName = name }
        if let pem = model.clientCertificatePEM { clientCertificatePem = pem }
        if let pem = model.privateKeyPEM { privateKeyPem = pem }
        if let pem = model.caCertificatesPEM { caCertificatesPem = pem }
    }
}

extension UpstreamTLS {
    public init(wire: Weft_Discovery_V1_UpstreamTLS, cluster: String) throws(WireError) {
        let mode: Mode
        switch wire.mode {
        case .auto: mode = .auto
        case .disable: mode = .disable
        case .simple: mode = .simple
        case .mutual: mode = .mutual
        case .istioMutual: mode = .istioMutual
        case .UNRECOGNIZED(let value): throw WireError("cluster \(cluster): unknown TLS mode \(value)")
        }
        self.init(mode: mode, sni: wire.hasSni ? wire.sni : nil, subjectAltNames: wire.subjectAltNames,
                  clientCertificate: wire.hasClientCertificate ? wire.clientCertificate : nil, privateKey: wire.hasPrivateKey ? wire.privateKey : nil,
                  caCertificates: wire.hasCaCertificates ? wire.caCertificates : nil, insecureSkipVerify: wire.insecureSkipVerify)
        credentialName = wire.hasCredentialName ? wire.credentialName : nil
        clientCertificatePEM = wire.hasClientCertificatePem ? wire.clientCertificatePem : nil
        privateKeyPEM = wire.hasPrivateKeyPem ? wire.privateKeyPem : nil
        caCertificatesPEM = wire.hasCaCertificatesPem ? wire.caCertificatesPem : nil
    }
}
