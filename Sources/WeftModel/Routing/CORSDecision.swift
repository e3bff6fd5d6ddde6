/// What Envoy's CORS filter does with a request, given the route's policy: nothing (no Origin, or
/// an origin not allowed), answer a preflight itself, or add headers to the upstream's response.
public enum CORSDecision: Sendable, Equatable {
    case none
    /// A preflight answered 200 by the proxy with these headers.
    case preflight([HeaderField])
    /// An unmatched preflight that `unmatchedPreflights: IGNORE` answers without CORS headers.
    case ignoredPreflight
    /// A cross-origin request: these headers go on the response.
    case response([HeaderField])

    public static func decide(_ policy: RoutePolicy.CORS, _ request: RequestAttributes) -> CORSDecision {
        guard let origin = request.header("origin"), !origin.isEmpty else { return .none }
        let isPreflight = request.method == "OPTIONS" && request.header("access-control-request-method") != nil
        // Envoy: an allowed-origin matcher that accepts "*" accepts every origin.
        guard policy.allowOrigins.contains(where: { $0.matches(origin) || $0.matches("*") }) else {
            return isPreflight && !policy.forwardUnmatchedPreflights ? .ignoredPreflight : .none
        }
        var headers = [HeaderField(name: "access-control-allow-origin", value: origin)]
        if policy.allowCredentials { headers.append(HeaderField(name: "access-control-allow-credentials", value: "true")) }
        if isPreflight {
            if !policy.allowMethods.isEmpty { headers.append(HeaderField(name: "access-control-allow-methods", value: policy.allowMethods.joined(separator: ","))) }
            if !policy.allowHeaders.isEmpty { headers.append(HeaderField(name: "access-control-allow-headers", value: policy.allowHeaders.joined(separator: ","))) }
            if let maxAge = policy.maxAgeSeconds { headers.append(HeaderField(name: "access-control-max-age", value: String(maxAge))) }
            return .preflight(headers)
        }
        if !policy.exposeHeaders.isEmpty { headers.append(HeaderField(name: "access-control-expose-headers", value: policy.exposeHeaders.joined(separator: ","))) }
        return .response(headers)
    }
}

/// One header name and value.
public struct HeaderField: Sendable, Hashable, Codable {
    public var name: String
    public var value: String
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
