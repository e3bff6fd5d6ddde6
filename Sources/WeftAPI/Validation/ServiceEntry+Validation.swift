extension ServiceEntrySpec {
    public func validate(into v: inout Validator, at path: FieldPath, meta: ObjectMeta) {
        if let selector = workloadSelector {
            if (selector.labels ?? [:]).isEmpty { v.warning(path / "workloadSelector", "service entry: workload selector specified without labels, will be applied to all services in namespace") }
            for (key, value) in (selector.labels ?? [:]) where key.contains("*") || value.contains("*") {
                v.error(path / "workloadSelector" / "labels" / key, "wildcard is not supported in selector: \"\(key)=\(value)\"")
            }
        }
        if workloadSelector != nil && endpoints != nil { v.error(path / "endpoints", "only one of workloadSelector or endpoints is allowed in Service Entry") }
        if (hosts ?? []).isEmpty { v.error(path / "hosts", "service entry must have at least one host") }
        for (index, host) in (hosts ?? []).enumerated() {
            if host == "*" { v.error(path / "hosts" / index, "invalid host *") }
            else if let problem = Names.wildcardDomainProblem(host) { v.error(path / "hosts" / index, problem) }
        }
        var cidr = false
        for (index, address) in (addresses ?? []).enumerated() {
            cidr = cidr || address.contains("/")
            if let problem = Names.cidrProblem(address) { v.error(path / "addresses" / index, problem) }
        }
        let resolution = self.resolution ?? .NONE
        if cidr && resolution != .NONE && resolution != .STATIC {
            v.error(path / "addresses", "CIDR addresses are allowed only for NONE/STATIC resolution types")
        }
        var portNames: Set<String> = [], portNumbers: Set<Int> = []
        v.each(ports, path / "ports") { v, port, portPath in
            let name = port.name ?? ""
            if !portNames.insert(name).inserted { v.error(portPath / "name", "service entry port name \"\(name)\" already defined") }
            if let number = port.number, !portNumbers.insert(number).inserted { v.error(portPath / "number", "service entry port \(number) already defined") }
            if let target = port.targetPort {
                v.validatePort(target, portPath / "targetPort")
                if resolution == .NONE { v.warning(portPath / "targetPort", "targetPort has no effect when resolution mode is NONE") }
            }
            if (addresses ?? []).isEmpty && (port.protocol == nil || port.protocol?.uppercased() == "TCP") {
                v.warning(portPath / "protocol", "addresses are required for ports serving TCP (or unset) protocol when ISTIO_META_DNS_AUTO_ALLOCATE is not set on a proxy")
            }
            if port.name == nil { v.error(portPath / "name", "port name is required") }
            v.validatePortName(port.name, portPath / "name")
            v.validateProtocol(port.protocol, portPath / "protocol")
            if let number = port.number { v.validatePort(number, portPath / "number") } else { v.error(portPath / "number", "port number is required") }
        }
        switch resolution {
        case .NONE:
            if !(endpoints ?? []).isEmpty { v.error(path / "endpoints", "no endpoints should be provided for resolution type none") }
            if workloadSelector != nil { v.warning(path / "workloadSelector", "workloadSelector should not be set when resolution mode is NONE") }
        case .STATIC:
            v.each(endpoints, path / "endpoints") { v, endpoint, endpointPath in
                endpoint.validateEndpoint(into: &v, at: endpointPath, servicePorts: portNames, allowFQDN: false)
            }
        case .DNS, .DNS_ROUND_ROBIN:
            if (endpoints ?? []).isEmpty {
                for (index, host) in (hosts ?? []).enumerated() where host.hasPrefix("*") {
                    v.error(path / "hosts" / index, "hosts must be FQDN if no endpoints are provided for resolution mode \(resolution.rawValue)")
                }
            }
            if resolution == .DNS_ROUND_ROBIN && (endpoints ?? []).count > 1 {
                v.error(path / "endpoints", "there must only be 0 or 1 endpoint for resolution mode DNS_ROUND_ROBIN")
            }
            v.each(endpoints, path / "endpoints") { v, endpoint, endpointPath in
                endpoint.validateEndpoint(into: &v, at: endpointPath, servicePorts: portNames, allowFQDN: true)
            }
            if workloadSelector != nil { v.warning(path / "workloadSelector", "workloadSelector should not be set when resolution mode is \(resolution.rawValue)") }
        }
        if resolution != .NONE && (hosts ?? []).count > 1 {
            if let port = (ports ?? []).first(where: { !Protocols.isHTTP($0.protocol) && !Protocols.isTLS($0.protocol) }) {
                _ = port
                v.error(path / "ports", "multiple hosts provided with non-HTTP, non-TLS ports")
            }
        }
        v.validateExportTo(exportTo, path / "exportTo", isServiceEntry: true)
    }
}

extension WorkloadEntrySpec {
    public func validate(into v: inout Validator, at path: FieldPath, meta: ObjectMeta) {
        validateEndpoint(into: &v, at: path, servicePorts: nil, allowFQDN: true)
    }

    func validateEndpoint(into v: inout Validator, at path: FieldPath, servicePorts: Set<String>?, allowFQDN: Bool) {
        let address = self.address ?? ""
        if address.isEmpty {
            if (network ?? "").isEmpty { v.error(path / "address", "address is required") }
            else { v.warning(path / "address", "address is unset with network \"\(network ?? "")\"") }
        }
        if address.hasPrefix("unix://") {
            let socket = address.dropFirst("unix://".count)
            if !(socket.hasPrefix("/") || socket.hasPrefix("@")) || socket.hasSuffix("/") { v.error(path / "address", "\(socket) is not an absolute path to a file") }
            if !(ports ?? [:]).isEmpty { v.error(path / "ports", "unix endpoint \(address) must not include ports") }
        } else if !address.isEmpty && !Names.isIP(address) {
            if !allowFQDN { v.error(path / "address", "endpoint address \"\(address)\" is not a valid IP address") }
            else if Names.domainProblem(address) != nil || address.contains("*") { v.error(path / "address", "endpoint address \"\(address)\" is not a valid FQDN or an IP address") }
        }
        for (name, port) in (ports ?? [:]).sorted(by: { $0.key < $1.key }) {
            if let servicePorts, !servicePorts.contains(name) { v.error(path / "ports" / name, "endpoint port \(name) is not defined by the service entry") }
            v.validatePortName(name, path / "ports" / name)
            v.validatePort(port, path / "ports" / name)
        }
        v.validateLabels(labels, path / "labels")
        if let weight, weight < 0 { v.error(path / "weight", "weight must not be negative") }
        if let serviceAccount, !serviceAccount.isEmpty, !Names.isDNS1123Subdomain(serviceAccount) {
            v.error(path / "serviceAccount", "invalid service account name \"\(serviceAccount)\"")
        }
    }
}

extension WorkloadGroupSpec {
    public func validate(into v: inout Validator, at path: FieldPath, meta: ObjectMeta) {
        if template == nil { v.error(path / "template", "template is required") }
        v.validateLabels(metadata?.labels, path / "metadata" / "labels")
        guard let probe else { return }
        let probePath = path / "probe"
        for (field, value) in [("periodSeconds", probe.periodSeconds), ("initialDelaySeconds", probe.initialDelaySeconds), ("timeoutSeconds", probe.timeoutSeconds), ("successThreshold", probe.successThreshold), ("failureThreshold", probe.failureThreshold)] {
            v.validateNonNegative(value, probePath / field)
        }
        let methods = [probe.httpGet != nil, probe.tcpSocket != nil, probe.exec != nil, probe.grpc != nil].filter { $0 }.count
        if methods != 1 { v.error(probePath, "exactly one of httpGet, tcpSocket, exec or grpc is required") }
        if let get = probe.httpGet {
            if let port = get.port { v.validatePort(port, probePath / "httpGet" / "port") } else { v.error(probePath / "httpGet" / "port", "port is required") }
            if let scheme = get.scheme, scheme != "HTTP" && scheme != "HTTPS" { v.error(probePath / "httpGet" / "scheme", "httpGet.scheme must be one of \"HTTPS\", \"HTTP\"") }
            for (index, header) in (get.httpHeaders ?? []).enumerated() {
                if let problem = Names.istioHeaderNameProblem(header.name ?? "") { v.error(probePath / "httpGet" / "httpHeaders" / index / "name", problem) }
            }
        }
        if let socket = probe.tcpSocket {
            if let port = socket.port { v.validatePort(port, probePath / "tcpSocket" / "port") } else { v.error(probePath / "tcpSocket" / "port", "port is required") }
        }
        if let exec = probe.exec, (exec.command ?? []).isEmpty { v.error(probePath / "exec" / "command", "exec.command is required") }
    }
}
