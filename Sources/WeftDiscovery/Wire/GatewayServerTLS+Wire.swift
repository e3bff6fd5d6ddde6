import WeftModel

extension Weft_Discovery_V1_GatewayServerTLS {
    public init(_ model: GatewayServerTLS) {
        self.init()
        serverNames = model.serverNames
        switch model.mode {
        case .simple: mode = .simple
        case .mutual: mode = .mutual
        case .optionalMutual: mode = .optionalMutual
        case .istioMutual: mode = .istioMutual
        case .passthrough: mode = .passthrough
        }
        certificateChain = model.certificateChain ?? ""
        privateKey = model.privateKey ?? ""
        caCertificates = model.caCertificates ?? ""
        certificateChainFile = model.certificateChainFile ?? ""
        privateKeyFile = model.privateKeyFile ?? ""
        caCertificatesFile = model.caCertificatesFile ?? ""
        subjectAltNames = model.subjectAltNames
        verifyCertificateSpki = model.verifyCertificateSpki
        verifyCertificateHash = model.verifyCertificateHash
        minimumVersion = model.minimumVersion ?? ""
        maximumVersion = model.maximumVersion ?? ""
        cipherSuites = model.cipherSuites
        credentialName = model.credentialName ?? ""
        credentialError = model.credentialError ?? ""
    }
}

extension GatewayServerTLS {
    /// TLS versions a gateway understands (Istio's `ProtocolVersion` names).
    public static let versions = ["TLS_AUTO", "TLSV1_0", "TLSV1_1", "TLSV1_2", "TLSV1_3"]

    public init(wire: Weft_Discovery_V1_GatewayServerTLS) throws(WireError) {
        let mode: Mode
        switch wire.mode {
        case .simple: mode = .simple
        case .mutual: mode = .mutual
        case .optionalMutual: mode = .optionalMutual
        case .istioMutual: mode = .istioMutual
        case .passthrough: mode = .passthrough
        case .UNRECOGNIZED(let value): throw WireError("gateway server \(wire.serverNames): unknown TLS mode \(value)")
        }
        for version in [wire.minimumVersion, wire.maximumVersion] where !version.isEmpty && !Self.versions.contains(version) {
            throw WireError("gateway server \(wire.serverNames): unknown TLS version \(version)")
        }
        self.init(serverNames: wire.serverNames, mode: mode)
        func text(_ value: String) -> String? { value.isEmpty ? nil : value }
        certificateChain = text(wire.certificateChain)
        privateKey = text(wire.privateKey)
        caCertificates = text(wire.caCertificates)
        certificateChainFile = text(wire.certificateChainFile)
        privateKeyFile = text(wire.privateKeyFile)
        caCertificatesFile = text(wire.caCertificatesFile)
        subjectAltNames = wire.subjectAltNames
        verifyCertificateSpki = wire.verifyCertificateSpki
        verifyCertificateHash = wire.verifyCertificateHash
        minimumVersion = text(wire.minimumVersion)
        maximumVersion = text(wire.maximumVersion)
        cipherSuites = wire.cipherSuites
        credentialName = text(wire.credentialName)
        credentialError = text(wire.credentialError)
    }
}
