extension VirtualServiceSpec {
    public func validate(into v: inout Validator, at path: FieldPath, meta: ObjectMeta) {
        let gatewayNames = gateways ?? []
        let boundToGatewayOnly = !gatewayNames.isEmpty && !gatewayNames.contains("mesh")
        if (hosts ?? []).isEmpty {
            // A delegate VirtualService: hosts come from its parent.
            if !gatewayNames.isEmpty { v.error(path / "gateways", "delegate virtual service must have no gateways specified") }
            if !(tls ?? []).isEmpty { v.error(path / "tls", "delegate virtual service must have no tls route specified") }
            if !(tcp ?? []).isEmpty { v.error(path / "tcp", "delegate virtual service must have no tcp route specified") }
        }
        v.validateGatewayNames(gateways, path / "gateways")

        var hostsValid = true
        for (index, host) in (hosts ?? []).enumerated() {
            if let problem = Names.wildcardDomainProblem(host), !Names.isIP(host) {
                v.error(path / "hosts" / index, problem)
                hostsValid = false
            } else if !boundToGatewayOnly && host == "*" {
                v.error(path / "hosts" / index, "wildcard host * is not allowed for virtual services bound to the mesh gateway")
                hostsValid = false
            }
        }
        if hostsValid, let hosts {
            for i in hosts.indices {
                for j in hosts.indices where j > i && HostName(hosts[i]).matches(HostName(hosts[j])) {
                    v.error(path / "hosts" / j, "duplicate hosts in virtual service: \(hosts[i]) & \(hosts[j])")
                }
            }
        }
        if (http ?? []).isEmpty && (tcp ?? []).isEmpty && (tls ?? []).isEmpty {
            v.error(path, "http, tcp or tls must be provided in virtual service")
        }
        let isDelegate = (hosts ?? []).isEmpty
        v.each(http, path / "http") { v, route, routePath in
            route.validate(into: &v, at: routePath, isDelegate: isDelegate, boundToGatewayOnly: boundToGatewayOnly)
        }
        v.each(tls, path / "tls") { v, route, routePath in
            route.validate(into: &v, at: routePath, hosts: hosts ?? [], boundToGatewayOnly: boundToGatewayOnly)
        }
        v.each(tcp, path / "tcp") { v, route, routePath in route.validate(into: &v, at: routePath) }
        v.validateExportTo(exportTo, path / "exportTo")
        for finding in reachabilityFindings() {
            v.warning(path, finding.text)
        }
    }
}

extension HTTPRoute {
    func validate(into v: inout Validator, at path: FieldPath, isDelegate: Bool, boundToGatewayOnly: Bool) {
        let hasRoute = !(route ?? []).isEmpty
        if delegate != nil {
            if isDelegate { v.error(path / "delegate", "delegate HTTP route cannot contain delegate") }
            if redirect != nil { v.error(path / "redirect", "root HTTP route \(name ?? "") must not specify redirect") }
            if hasRoute { v.error(path / "route", "root HTTP route \(name ?? "") must not specify route") }
        } else if redirect != nil {
            if hasRoute { v.error(path / "route", "HTTP route cannot contain both route and redirect") }
            if fault != nil { v.error(path / "fault", "HTTP route cannot contain both fault and redirect") }
            if rewrite != nil { v.error(path / "rewrite", "HTTP route rule cannot contain both rewrite and redirect") }
            if directResponse != nil { v.error(path / "directResponse", "HTTP route cannot contain both redirect and directResponse") }
        } else if directResponse != nil {
            if hasRoute { v.error(path / "route", "HTTP route cannot contain both route and directResponse") }
        } else if !hasRoute {
            v.error(path / "route", "HTTP route, redirect or directResponse is required")
        }

        v.each(match, path / "match") { v, match, matchPath in
            match.validate(into: &v, at: matchPath, isDelegate: isDelegate, boundToGatewayOnly: boundToGatewayOnly)
        }
        v.validateHeaderOperations(headers, path / "headers")
        if let corsPolicy { corsPolicy.validate(into: &v, at: path / "corsPolicy") }
        if let fault { fault.validate(into: &v, at: path / "fault") }
        if let mirrorPercent {
            if mirrorPercent < 0 || mirrorPercent > 100 { v.error(path / "mirrorPercent", "mirrorPercent must be in the range 0..100 (it has \(mirrorPercent))") }
            v.warning(path / "mirrorPercent", "using deprecated setting \"mirrorPercent\", use \"mirrorPercentage\" instead")
        }
        if let value = mirrorPercentage?.value, value < 0 || value > 100 {
            v.error(path / "mirrorPercentage" / "value", "mirrorPercentage must be in the range 0..100 (it has \(value))")
        }
        if mirror != nil && mirrors != nil { v.error(path / "mirrors", "only one of mirror or mirrors may be set") }
        v.validateDestination(mirror, path / "mirror")
        v.each(mirrors, path / "mirrors") { v, mirror, mirrorPath in
            if mirror.destination == nil { v.error(mirrorPath / "destination", "destination is required for mirrors") }
            v.validateDestination(mirror.destination, mirrorPath / "destination")
            if let value = mirror.percentage?.value, value < 0 || value > 100 {
                v.error(mirrorPath / "percentage" / "value", "mirror percentage must be in the range 0..100 (it has \(value))")
            }
        }
        if let redirect { redirect.validate(into: &v, at: path / "redirect") }
        if let directResponse { directResponse.validate(into: &v, at: path / "directResponse") }
        if let retries { retries.validate(into: &v, at: path / "retries") }
        if let rewrite { rewrite.validate(into: &v, at: path / "rewrite") }
        v.validateAuthorityRewrite(rewrite, headers, path)
        v.validateRouteWeights((route ?? []).map { ($0.destination, $0.weight) }, path / "route")
        v.each(route, path / "route") { v, destination, destinationPath in
            v.validateHeaderOperations(destination.headers, destinationPath / "headers")
        }
        v.validateDuration(timeout, path / "timeout", allowZero: true)
    }
}

extension HTTPMatchRequest {
    func validate(into v: inout Validator, at path: FieldPath, isDelegate: Bool, boundToGatewayOnly: Bool) {
        for (key, match) in [("uri", uri), ("scheme", scheme), ("method", method), ("authority", authority)] {
            v.validateStringMatch(match, path / key, allowEmpty: false)
            if isDelegate, match?.regex != nil { v.error(path / key / "regex", "\(key) match does not support regex match for delegating") }
        }
        for (field, map) in [("headers", headers), ("queryParams", queryParams), ("withoutHeaders", withoutHeaders)] {
            for (name, match) in (map ?? [:]).sorted(by: { $0.key < $1.key }) {
                let entryPath = path / field / name
                if field != "queryParams" {
                    if JWTClaimRoute.isClaimHeader(name) {
                        if !boundToGatewayOnly {
                            v.error(entryPath, "JWT claim based routing (key: \(name)) is only supported for gateway, found no gateways")
                        }
                    } else if let problem = Names.istioHeaderNameProblem(name) {
                        v.error(entryPath, problem)
                    }
                }
                v.validateStringMatch(match, entryPath)
                if isDelegate, match.regex != nil { v.error(entryPath / "regex", "\(field) match \(name) does not support regex match for delegating") }
            }
        }
        if let port { v.validatePort(port, path / "port") }
        v.validateLabels(sourceLabels, path / "sourceLabels")
        v.validateGatewayNames(gateways, path / "gateways")
        if let sourceNamespace, !Names.isDNS1123Label(sourceNamespace) {
            v.error(path / "sourceNamespace", "sourceNamespace match \(sourceNamespace) is invalid")
        }
    }
}

extension Validator {
    /// Weights are non-negative and, with more than one destination or any weight given, sum to 100.
    mutating func validateRouteWeights(_ routes: [(Destination?, Int?)], _ path: FieldPath) {
        var total = 0
        for (index, (destination, weight)) in routes.enumerated() {
            if destination == nil { error(path / index / "destination", "destination is required") }
            validateDestination(destination, path / index / "destination")
            if let weight, weight < 0 { error(path / index / "weight", "weight \(weight) must not be negative") }
            total += weight ?? 0
        }
        if routes.count == 1 && (routes[0].1 ?? 0) == 0 { return }
        if !routes.isEmpty && total != 100 {
            let weightPath = routes.count == 1 ? path / 0 / "weight" : path
            error(weightPath, "route weights must sum to 100 (they sum to \(total))")
        }
    }

    mutating func validateDestination(_ destination: Destination?, _ path: FieldPath) {
        guard let destination else { return }
        let host = destination.host ?? ""
        if host.isEmpty {
            error(path / "host", "destination host is required")
        } else if host == "*" {
            error(path / "host", "invalid destination host *")
        } else if let problem = Names.wildcardDomainProblem(host) {
            error(path / "host", problem)
        }
        if let subset = destination.subset {
            if subset.isEmpty { error(path / "subset", "subset name cannot be empty") }
            else if !Names.isDNS1123Label(subset) { error(path / "subset", "subset name is invalid: \(subset)") }
        }
        if let port = destination.port {
            if let number = port.number { validatePort(number, path / "port" / "number") }
            else { error(path / "port" / "number", "port number is required") }
        }
    }

    /// Gateway references: `name`, `namespace/name` or the reserved `mesh`.
    mutating func validateGatewayNames(_ names: [String]?, _ path: FieldPath) {
        for (index, name) in (names ?? []).enumerated() {
            let parts = name.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            if parts.count != 2 {
                if name.contains(".") {
                    let pieces = name.split(separator: ".")
                    warning(path / index, "using legacy gatewayName format \"\(name)\"; prefer the <namespace>/<name> format: \"\(pieces.count > 1 ? pieces[1] : "")/\(pieces[0])\"")
                }
                if let problem = Names.domainProblem(name) { error(path / index, "invalid gateway name \"\(name)\": \(problem)") }
                continue
            }
            if parts[0].isEmpty || parts[1].isEmpty {
                error(path / index, "config namespace and gateway name cannot be empty")
            } else {
                if !Names.isDNS1123Label(parts[0]) { error(path / index, "invalid value for namespace: \"\(parts[0])\"") }
                if !Names.isDNS1123Label(parts[1]) { error(path / index, "invalid value for gateway name: \"\(parts[1])\"") }
            }
        }
    }

    /// Header set/add/remove: no pseudo-headers, Host only through `authority` on requests, sane values.
    mutating func validateHeaderOperations(_ headers: Headers?, _ path: FieldPath) {
        guard let headers else { return }
        for (side, operations) in [("request", headers.request), ("response", headers.response)] {
            guard let operations else { continue }
            let sidePath = path / side
            for (field, map) in [("set", operations.set), ("add", operations.add)] {
                for (name, value) in (map ?? [:]).sorted(by: { $0.key < $1.key }) {
                    if let problem = Names.headerOperationProblem(name, allowAuthority: side == "request") {
                        error(sidePath / field / name, problem)
                    }
                    if let problem = Names.headerValueProblem(value) { error(sidePath / field / name, problem) }
                }
            }
            for (index, name) in (operations.remove ?? []).enumerated() {
                if let problem = Names.headerOperationProblem(name, allowAuthority: false) { error(sidePath / "remove" / index, problem) }
            }
        }
    }

    /// The authority may be rewritten in one place only.
    mutating func validateAuthorityRewrite(_ rewrite: HTTPRewrite?, _ headers: Headers?, _ path: FieldPath) {
        var current = rewrite?.authority ?? ""
        for (field, map) in [("set", headers?.request?.set), ("add", headers?.request?.add)] {
            for (name, value) in (map ?? [:]).sorted(by: { $0.key < $1.key }) where Names.isAuthorityHeader(name) {
                if !current.isEmpty {
                    error(path / "headers" / "request" / field / name, "authority header cannot be set multiple times: have \"\(current)\", attempting to set \"\(value)\"")
                }
                current = value
            }
        }
    }
}
