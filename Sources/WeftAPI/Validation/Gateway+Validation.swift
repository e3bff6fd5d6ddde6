extension GatewaySpec {
    public func validate(into v: inout Validator, at path: FieldPath, meta: ObjectMeta) {
        if let name = meta.name, !Names.isDNS1123Label(name) {
            v.error(FieldPath([.key("metadata"), .key("name")]), "invalid gateway name: \"\(name)\" (a gateway name must be a DNS label, without dots)")
        }
        if (servers ?? []).isEmpty { v.error(path / "servers", "gateway must have at least one server") }
        var portNames: Set<String> = []
        v.each(servers, path / "servers") { v, server, serverPath in
            server.validate(into: &v, at: serverPath)
            if let port = server.port {
                let name = port.name ?? ""
                if !portNames.insert(name).inserted {
                    v.error(serverPath / "port" / "name", "port names in servers must be unique: duplicate name \(name)")
                }
                if !Protocols.isHTTP(port.protocol) && server.tls?.httpsRedirect == true {
                    v.warning(serverPath / "tls" / "httpsRedirect", "tls.httpsRedirect should only be used with http servers")
                }
            }
        }
        v.validateLabels(selector, path / "selector")
    }
}

extension Server {
    func validate(into v: inout Validator, at path: FieldPath) {
        if (hosts ?? []).isEmpty { v.error(path / "hosts", "server config must contain at least one host") }
        for (index, host) in (hosts ?? []).enumerated() {
            if let problem = Names.namespaceSlashHostProblem(host, allowNamespaceWildcard: true) { v.error(path / "hosts" / index, problem) }
        }
        guard let port else { v.error(path / "port", "port is required"); return }
        let portPath = path / "port"
        var portValid = true
        if let proto = port.protocol, !Protocols.isKnown(proto) {
            v.error(portPath / "protocol", "invalid protocol \"\(proto)\", supported protocols are \(Protocols.names.joined(separator: ", "))")
            portValid = false
        } else if port.protocol == nil {
            v.error(portPath / "protocol", "protocol is required")
            portValid = false
        }
        let isUnix = (bind ?? "").hasPrefix("unix://")
        if let number = port.number {
            if !(isUnix && number == 0) && !Names.isPort(number) { v.error(portPath / "number", "port number \(number) must be in the range 1..65535"); portValid = false }
            if isUnix && number != 0 { v.error(portPath / "number", "port number must be 0 for unix domain socket") }
        } else if !isUnix {
            v.error(portPath / "number", "port number is required")
            portValid = false
        }
        if port.targetPort != nil { v.error(portPath / "targetPort", "targetPort has no impact on Gateways") }
        if (port.name ?? "").isEmpty { v.error(portPath / "name", "port name must be set") }
        if let bind, !bind.isEmpty, !isUnix, !Names.isIP(bind) { v.error(path / "bind", "bind \"\(bind)\" must be an IP address") }
        if let tls { v.validateServerTLS(tls, path / "tls") }
        if portValid {
            if Protocols.isTLS(port.protocol) && tls == nil {
                v.error(path / "tls", "server must have TLS settings for HTTPS/TLS protocols")
            } else if !Protocols.isTLS(port.protocol), let tls {
                if Protocols.isHTTP(port.protocol) {
                    let passthrough = tls.mode == nil || tls.mode == .PASSTHROUGH
                    if !passthrough || !(tls.caCertificates ?? "").isEmpty || !(tls.privateKey ?? "").isEmpty || !(tls.serverCertificate ?? "").isEmpty {
                        v.error(path / "tls", "server cannot have TLS settings for plain text HTTP ports")
                    }
                } else {
                    v.error(path / "tls", "server cannot have TLS settings for non HTTPS/TLS ports")
                }
            }
        }
    }
}

extension Validator {
    /// Server TLS as Istio's `validateTLSOptions` checks it: SIMPLE needs a credential or files,
    /// MUTUAL also a CA bundle, ISTIO_MUTUAL none of them.
    mutating func validateServerTLS(_ tls: ServerTLSSettings, _ path: FieldPath) {
        if (tls.minProtocolVersion == .TLSV1_0 || tls.minProtocolVersion == .TLSV1_1) && (tls.cipherSuites ?? []).isEmpty {
            warning(path / "minProtocolVersion", "TLS version below TLSV1_2 require setting compatible ciphers as by default they no longer include compatible ciphers")
        }
        let hasCredential = !(tls.credentialName ?? "").isEmpty || !(tls.credentialNames ?? []).isEmpty || !(tls.tlsCertificates ?? []).isEmpty
        switch tls.mode ?? .PASSTHROUGH {
        case .ISTIO_MUTUAL:
            for (field, value) in [("serverCertificate", tls.serverCertificate), ("privateKey", tls.privateKey), ("caCertificates", tls.caCertificates), ("credentialName", tls.credentialName)] where !(value ?? "").isEmpty {
                error(path / field, "ISTIO_MUTUAL TLS cannot have associated \(field)")
            }
        case .PASSTHROUGH, .AUTO_PASSTHROUGH:
            if hasCredential || !(tls.serverCertificate ?? "").isEmpty || !(tls.privateKey ?? "").isEmpty || !(tls.caCertificates ?? "").isEmpty {
                warning(path / "mode", "\((tls.mode ?? .PASSTHROUGH).rawValue) mode does not use certificates, they will be ignored")
            }
        case .SIMPLE:
            if !hasCredential {
                if (tls.serverCertificate ?? "").isEmpty { error(path / "serverCertificate", "SIMPLE TLS requires a credentialName or a server certificate") }
                if (tls.privateKey ?? "").isEmpty { error(path / "privateKey", "SIMPLE TLS requires a credentialName or a private key") }
            }
            if !(tls.caCrl ?? "").isEmpty { error(path / "caCrl", "CRL is not supported with SIMPLE TLS") }
        case .MUTUAL, .OPTIONAL_MUTUAL:
            if !hasCredential {
                if (tls.serverCertificate ?? "").isEmpty { error(path / "serverCertificate", "MUTUAL TLS requires a credentialName or a server certificate") }
                if (tls.privateKey ?? "").isEmpty { error(path / "privateKey", "MUTUAL TLS requires a credentialName or a private key") }
                if (tls.caCertificates ?? "").isEmpty { error(path / "caCertificates", "MUTUAL TLS requires a client CA bundle") }
            }
        }
        if !(tls.caCrl ?? "").isEmpty && !(tls.credentialName ?? "").isEmpty {
            error(path / "caCrl", "CRL is not supported with credentialName. CRL has to be specified in the credential")
        }
        if !(tls.credentialName ?? "").isEmpty && !(tls.credentialNames ?? []).isEmpty {
            error(path / "credentialNames", "only one of credentialName or credentialNames may be set")
        }
    }
}

extension Names {
    /// A `namespace/host` (Gateway server hosts, Sidecar egress hosts). The namespace is a label,
    /// `*`, `.` or `~`; the host a wildcard domain. Without a slash the host alone is checked.
    public static func namespaceSlashHostProblem(_ text: String, allowNamespaceWildcard: Bool, requireNamespace: Bool = false) -> String? {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        if parts.count == 1 {
            if requireNamespace { return "host \"\(text)\" must be of the form namespace/dnsName" }
            return wildcardDomainProblem(text)
        }
        let namespace = parts[0], host = parts[1]
        if namespace.isEmpty || host.isEmpty { return "host \"\(text)\": namespace and name must both be set (namespace/dnsName)" }
        if namespace != "*" && namespace != "." && namespace != "~" && !isDNS1123Label(namespace) {
            return "host \"\(text)\": invalid namespace \"\(namespace)\"; use a namespace name, \"*\", \".\" or \"~\""
        }
        return wildcardDomainProblem(host)
    }
}
