import Foundation

extension SidecarSpec {
    public func validate(into v: inout Validator, at path: FieldPath, meta: ObjectMeta) {
        if let selector = workloadSelector {
            if (selector.labels ?? [:]).isEmpty {
                v.warning(path / "workloadSelector", "sidecar: workload selector specified without labels, will be applied to all services in namespace")
            }
            for (key, value) in (selector.labels ?? [:]) where key.isEmpty || key.contains("*") || value.contains("*") {
                v.error(path / "workloadSelector" / "labels" / key, "wildcard or empty key is not supported in selector: \"\(key)=\(value)\"")
            }
        }
        if (egress ?? []).isEmpty && (ingress ?? []).isEmpty && outboundTrafficPolicy == nil && inboundConnectionPool == nil {
            v.error(path, "sidecar: empty configuration provided")
            return
        }
        var ingressPorts: Set<Int> = []
        v.each(ingress, path / "ingress") { v, listener, listenerPath in
            guard let port = listener.port else { v.error(listenerPath / "port", "sidecar: port is required for ingress listeners"); return }
            if port.targetPort != nil { v.error(listenerPath / "port" / "targetPort", "targetPort has no impact on Sidecars") }
            if let name = port.name, !name.isEmpty { v.validatePortName(name, listenerPath / "port" / "name") }
            v.validateProtocol(port.protocol, listenerPath / "port" / "protocol")
            if let number = port.number {
                v.validatePort(number, listenerPath / "port" / "number")
                if !ingressPorts.insert(number).inserted { v.error(listenerPath / "port" / "number", "sidecar: ports on IP bound listeners must be unique") }
            } else {
                v.error(listenerPath / "port" / "number", "port number is required")
            }
            if let bind = listener.bind, !bind.isEmpty, !Names.isIP(bind) { v.error(listenerPath / "bind", "bind \"\(bind)\" must be an IP address") }
            if let endpoint = listener.defaultEndpoint, !endpoint.isEmpty { v.validateDefaultEndpoint(endpoint, listenerPath / "defaultEndpoint") }
            if let tls = listener.tls {
                let tlsPath = listenerPath / "tls"
                if !(tls.subjectAltNames ?? []).isEmpty { v.error(tlsPath / "subjectAltNames", "sidecar: subjectAltNames is not supported in ingress tls") }
                if tls.httpsRedirect == true { v.error(tlsPath / "httpsRedirect", "sidecar: httpsRedirect is not supported") }
                if !(tls.credentialName ?? "").isEmpty { v.error(tlsPath / "credentialName", "sidecar: credentialName is not currently supported") }
                if tls.mode == .ISTIO_MUTUAL || tls.mode == .AUTO_PASSTHROUGH {
                    v.error(tlsPath / "mode", "configuration is invalid: cannot set mode to \(tls.mode?.rawValue ?? "") in sidecar ingress tls")
                }
                v.validateServerTLS(tls, tlsPath)
            }
            v.validateConnectionPool(listener.connectionPool, listenerPath / "connectionPool")
        }
        v.validateConnectionPool(inboundConnectionPool, path / "inboundConnectionPool")

        var egressPorts: Set<Int> = []
        var catchAllSeen = false
        let count = egress?.count ?? 0
        v.each(egress, path / "egress") { v, listener, listenerPath in
            if let port = listener.port {
                if port.targetPort != nil { v.error(listenerPath / "port" / "targetPort", "targetPort has no impact on Sidecars") }
                if let name = port.name, !name.isEmpty { v.validatePortName(name, listenerPath / "port" / "name") }
                v.validateProtocol(port.protocol, listenerPath / "port" / "protocol")
                let bind = listener.bind ?? ""
                if (port.number ?? 0) == 0 {
                    if !bind.hasPrefix("unix://") { v.error(listenerPath / "bind", "sidecar: ports with 0 value must have a unix domain socket bind address") }
                } else {
                    v.validatePort(port.number, listenerPath / "port" / "number")
                    if !egressPorts.insert(port.number ?? 0).inserted { v.error(listenerPath / "port" / "number", "sidecar: ports on IP bound listeners must be unique") }
                    if !bind.isEmpty && !Names.isIP(bind) { v.error(listenerPath / "bind", "bind \"\(bind)\" must be an IP address") }
                }
            } else {
                if catchAllSeen { v.error(listenerPath, "sidecar: egress can have only one listener with empty port") }
                else if case .index(let index) = listenerPath.components.last, index != count - 1 {
                    v.error(listenerPath, "sidecar: the egress listener with empty port should be the last listener in the list")
                }
                catchAllSeen = true
            }
            if (listener.hosts ?? []).isEmpty { v.error(listenerPath / "hosts", "sidecar: egress listener must contain at least one host") }
            for (index, host) in (listener.hosts ?? []).enumerated() {
                if let problem = Names.namespaceSlashHostProblem(host, allowNamespaceWildcard: true, requireNamespace: true) {
                    v.error(listenerPath / "hosts" / index, problem)
                }
            }
        }
        if let policy = outboundTrafficPolicy, let proxy = policy.egressProxy {
            let policyPath = path / "outboundTrafficPolicy"
            if policy.mode != .ALLOW_ANY {
                v.error(policyPath / "egressProxy", "sidecar: egress_proxy must be set only with ALLOW_ANY outbound_traffic_policy mode")
            } else {
                if let problem = Names.domainProblem(proxy.host ?? "") { v.error(policyPath / "egressProxy" / "host", problem) }
                if proxy.port == nil { v.error(policyPath / "egressProxy" / "port", "sidecar: egress_proxy port must be non-nil") }
                v.validateDestination(proxy, policyPath / "egressProxy")
            }
        }
    }
}

extension Validator {
    /// `127.0.0.1:port`, `0.0.0.0:port`, `[::1]:port`, `[::]:port` or `unix:///path`.
    mutating func validateDefaultEndpoint(_ endpoint: String, _ path: FieldPath) {
        if endpoint.hasPrefix("unix://") { return }
        guard let colon = endpoint.lastIndex(of: ":") else {
            error(path, "sidecar: defaultEndpoint must be of form 127.0.0.1:<port>, 0.0.0.0:<port>, [::1]:port, [::]:port, unix://filepath or unset")
            return
        }
        let host = endpoint[..<colon].trimmingCharacters(in: ["[", "]"])
        if !["", "127.0.0.1", "0.0.0.0", "::1", "::"].contains(host) {
            error(path, "sidecar: defaultEndpoint must be of form 127.0.0.1:<port>, 0.0.0.0:<port>, [::1]:port, [::]:port, unix://filepath or unset")
        }
        let portText = endpoint[endpoint.index(after: colon)...]
        if let port = Int(portText) { validatePort(port, path) }
        else { error(path, "sidecar: defaultEndpoint port (\(portText)) is not a number") }
    }
}
