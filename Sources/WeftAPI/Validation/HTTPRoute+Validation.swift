import Foundation

extension CorsPolicy {
    static let methods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE"]

    func validate(into v: inout Validator, at path: FieldPath) {
        v.each(allowOrigins, path / "allowOrigins") { v, origin, originPath in
            let value = origin.exact ?? origin.prefix ?? origin.regex ?? ""
            if value.isEmpty { v.error(originPath, "an allowOrigins entry needs a non-empty exact, prefix or regex") }
            v.validateStringMatch(origin, originPath)
        }
        if allowOrigin != nil { v.warning(path / "allowOrigin", "using deprecated setting \"allowOrigin\", use \"allowOrigins\" instead") }
        for (index, method) in (allowMethods ?? []).enumerated() where !Self.methods.contains(method) {
            v.error(path / "allowMethods" / index, "\"\(method)\" is not a supported HTTP method")
        }
        for (field, names) in [("allowHeaders", allowHeaders), ("exposeHeaders", exposeHeaders)] {
            for (index, name) in (names ?? []).enumerated() where name != "*" {
                if let problem = Names.istioHeaderNameProblem(name) { v.error(path / field / index, problem) }
            }
        }
        if let maxAge {
            v.validateDuration(maxAge, path / "maxAge")
            if maxAge.nanoseconds % 1_000_000_000 != 0 { v.error(path / "maxAge", "maxAge is accurate only to seconds precision") }
        }
    }
}

extension HTTPFaultInjection {
    /// gRPC status names Envoy accepts for an abort.
    static let grpcStatuses: Set<String> = [
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
        "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
        "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
    ]

    func validate(into v: inout Validator, at path: FieldPath) {
        if abort == nil && delay == nil { v.error(path, "HTTP fault injection must have an abort and/or a delay") }
        if let abort {
            let abortPath = path / "abort"
            v.validatePercentage(abort.percentage, abortPath / "percentage")
            let kinds = [abort.httpStatus != nil, abort.grpcStatus != nil, abort.http2Error != nil].filter { $0 }.count
            if kinds > 1 { v.error(abortPath, "only one of httpStatus, grpcStatus or http2Error may be set") }
            if let status = abort.httpStatus, status < 200 || status > 599 {
                v.error(abortPath / "httpStatus", "HTTP status \(status) is not in range 200-599")
            }
            if let status = abort.grpcStatus, !Self.grpcStatuses.contains(status) {
                v.error(abortPath / "grpcStatus", "gRPC status \"\(status)\" is not supported; use a code name such as NOT_FOUND or UNAVAILABLE")
            }
            if abort.http2Error != nil { v.error(abortPath / "http2Error", "HTTP/2 abort fault injection not supported yet") }
            if kinds == 0 { v.warning(abortPath, "abort configured, but error type not set") }
        }
        if let delay {
            let delayPath = path / "delay"
            v.validatePercentage(delay.percentage, delayPath / "percentage")
            if let percent = delay.percent {
                v.validatePercent(percent, delayPath / "percent")
                v.warning(delayPath / "percent", "using deprecated setting \"percent\", use \"percentage\" instead")
            }
            if delay.fixedDelay == nil && delay.exponentialDelay == nil {
                v.error(delayPath / "fixedDelay", "a delay needs fixedDelay")
            }
            v.validateDuration(delay.fixedDelay, delayPath / "fixedDelay")
            if delay.exponentialDelay != nil { v.error(delayPath / "exponentialDelay", "exponentialDelay not supported yet") }
        }
    }
}

extension HTTPRedirect {
    func validate(into v: inout Validator, at path: FieldPath) {
        if uri == nil && authority == nil && port == nil && scheme == nil && derivePort == nil {
            v.error(path, "redirect must specify URI, authority, scheme, or port")
        }
        if port != nil && derivePort != nil { v.error(path / "derivePort", "only one of port or derivePort may be set") }
        if let redirectCode, redirectCode < 300 || redirectCode > 399 {
            v.error(path / "redirectCode", "\(redirectCode) is not a valid redirect code, must be 3xx")
        }
        if let scheme, scheme != "http" && scheme != "https" {
            v.error(path / "scheme", "invalid redirect scheme \"\(scheme)\", must be \"http\" or \"https\"")
        }
        v.validatePort(port, path / "port")
    }
}

extension HTTPDirectResponse {
    func validate(into v: inout Validator, at path: FieldPath) {
        guard let status else { v.error(path / "status", "status is required"); return }
        if status < 200 || status > 599 { v.error(path / "status", "HTTP status \(status) is not in range 200-599") }
        if let body {
            if body.string != nil && body.bytes != nil { v.error(path / "body", "only one of string or bytes may be set") }
            let size = body.string?.utf8.count ?? body.bytes?.utf8.count ?? 0
            if size > 1_048_576 { v.error(path / "body", "large direct_responses may impact control plane performance, must be less than 1MB") }
            else if size > 102_400 { v.warning(path / "body", "large direct_responses may impact control plane performance") }
        }
    }
}

extension HTTPRetry {
    /// Envoy's `x-envoy-retry-on` and `x-envoy-retry-grpc-on` conditions.
    public static let retryOnPolicies: Set<String> = [
        "5xx", "gateway-error", "reset", "reset-before-request", "connect-failure", "retriable-4xx", "refused-stream",
        "retriable-status-codes", "retriable-headers", "envoy-ratelimited", "http3-post-connect-failure",
        "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable",
    ]

    func validate(into v: inout Validator, at path: FieldPath) {
        let attempts = self.attempts ?? 0
        if attempts < 0 { v.error(path / "attempts", "attempts cannot be negative") }
        if attempts == 0 && (perTryTimeout != nil || retryOn != nil || retryRemoteLocalities != nil) {
            v.error(path / "attempts", "http retry policy configured when attempts are set to 0 (disabled)")
        }
        v.validateDuration(perTryTimeout, path / "perTryTimeout")
        v.validateDuration(backoff, path / "backoff")
        if let retryOn {
            for policy in retryOn.split(separator: ",", omittingEmptySubsequences: false).map({ $0.trimmingCharacters(in: .whitespaces) }) {
                if let code = Int(policy), code >= 100 && code <= 599 { continue }
                if !Self.retryOnPolicies.contains(policy) {
                    v.error(path / "retryOn", "\"\(policy)\" is not a valid retryOn policy; use Envoy's conditions (\(Self.retryOnPolicies.sorted().joined(separator: ", "))) or an HTTP status code")
                }
            }
        }
    }
}

extension HTTPRewrite {
    func validate(into v: inout Validator, at path: FieldPath) {
        if uri != nil && uriRegexRewrite != nil { v.error(path, "rewrite may only contain one of uri or uriRegexRewrite") }
        if uri == nil && uriRegexRewrite == nil && authority == nil {
            v.error(path, "rewrite must specify at least one of uri, uriRegexRewrite, or authority")
        }
        if let regex = uriRegexRewrite {
            if (regex.match ?? "").isEmpty || regex.rewrite == nil {
                v.error(path / "uriRegexRewrite", "uriRegexRewrite requires both rewrite and match fields to be specified")
            }
            v.validateRegex(regex.match, path / "uriRegexRewrite" / "match")
        }
    }
}

extension TLSRoute {
    func validate(into v: inout Validator, at path: FieldPath, hosts: [String], boundToGatewayOnly: Bool) {
        if (match ?? []).isEmpty { v.error(path / "match", "TLS route must have at least one match condition") }
        v.each(match, path / "match") { v, match, matchPath in
            if (match.sniHosts ?? []).isEmpty { v.error(matchPath / "sniHosts", "TLS match must have at least one SNI host") }
            for (index, sni) in (match.sniHosts ?? []).enumerated() {
                if let problem = Names.wildcardDomainProblem(sni) {
                    if Names.isIP(sni) {
                        v.warning(matchPath / "sniHosts" / index, "using an IP address (\"\(sni)\") goes against SNI spec and most clients do not support this")
                    } else {
                        v.error(matchPath / "sniHosts" / index, problem)
                    }
                } else if !hosts.contains(where: { HostName(sni).isSubset(of: HostName($0)) }) {
                    v.error(matchPath / "sniHosts" / index, "SNI host \"\(sni)\" is not a compatible subset of any of the virtual service hosts: [\(hosts.joined(separator: ", "))]")
                }
            }
            for (index, subnet) in (match.destinationSubnets ?? []).enumerated() {
                if let problem = Names.cidrProblem(subnet) { v.error(matchPath / "destinationSubnets" / index, problem) }
            }
            v.validatePort(match.port, matchPath / "port")
            v.validateLabels(match.sourceLabels, matchPath / "sourceLabels")
            v.validateGatewayNames(match.gateways, matchPath / "gateways")
        }
        if (route ?? []).isEmpty { v.error(path / "route", "TLS route is required") }
        v.validateRouteWeights((route ?? []).map { ($0.destination, $0.weight) }, path / "route")
    }
}

extension TCPRoute {
    func validate(into v: inout Validator, at path: FieldPath) {
        v.each(match, path / "match") { v, match, matchPath in
            for (index, subnet) in (match.destinationSubnets ?? []).enumerated() {
                if let problem = Names.cidrProblem(subnet) { v.error(matchPath / "destinationSubnets" / index, problem) }
            }
            if let subnet = match.sourceSubnet, let problem = Names.cidrProblem(subnet) { v.error(matchPath / "sourceSubnet", problem) }
            v.validatePort(match.port, matchPath / "port")
            v.validateLabels(match.sourceLabels, matchPath / "sourceLabels")
            v.validateGatewayNames(match.gateways, matchPath / "gateways")
        }
        if (route ?? []).isEmpty { v.error(path / "route", "TCP route is required") }
        v.validateRouteWeights((route ?? []).map { ($0.destination, $0.weight) }, path / "route")
    }
}
