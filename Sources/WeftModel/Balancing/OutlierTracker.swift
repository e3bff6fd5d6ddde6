/// What one attempt at an endpoint came to, as outlier detection counts it.
public enum EndpointOutcome: Sendable, Equatable {
    /// The endpoint answered with this status.
    case status(Int)
    /// A failure on the proxy's side of the wire: connect failure, reset before a response, timeout.
    case localFailure
}

/// Outlier detection for one cluster, with Envoy's consecutive-error detectors: an endpoint that
/// fails N times in a row is ejected for `baseEjection × times ejected` (capped), unless that would
/// eject more than `maxEjectionPercent` of the cluster (one ejection is always allowed). An endpoint
/// that stays healthy loses one ejection from its multiplier per interval. Times are milliseconds on
/// a monotonic clock; the type is a value, so the decisions are testable without one.
public struct OutlierTracker: Sendable, Equatable {
    /// The state kept per endpoint.
    public struct Host: Sendable, Equatable {
        var consecutive5xx = 0
        var consecutiveGateway = 0
        var consecutiveLocal = 0
        /// How many times it has been ejected (decayed while healthy): the ejection time multiplier.
        public internal(set) var ejections = 0
        /// Ejected until this time, when ejected.
        public internal(set) var ejectedUntil: Int64?
        var healthySince: Int64 = 0
    }

    public private(set) var hosts: [String: Host] = [:]

    public init() {}

    /// Counts `outcome` for endpoint `key`; true when it ejects the endpoint now.
    public mutating func record(_ outcome: EndpointOutcome, endpoint key: String, policy: OutlierPolicy, endpointCount: Int, now: Int64) -> Bool {
        var host = hosts[key, default: Host()]
        if let until = host.ejectedUntil {
            // Answers still arriving from before the ejection change nothing.
            if until > now { return false }
            host.ejectedUntil = nil
            host.healthySince = until
        }
        switch outcome {
        case .status(let status) where status >= 500:
            host.consecutive5xx += 1
            host.consecutiveGateway = (502...504).contains(status) ? host.consecutiveGateway + 1 : 0
            if policy.splitLocalOrigin { host.consecutiveLocal = 0 }
        case .status:
            host.consecutive5xx = 0
            host.consecutiveGateway = 0
            host.consecutiveLocal = 0
        case .localFailure where policy.splitLocalOrigin:
            host.consecutiveLocal += 1
        case .localFailure:
            // Not split: Envoy counts a local failure as the upstream's 503.
            host.consecutive5xx += 1
            host.consecutiveGateway += 1
        }
        let tripped = (policy.consecutive5xxErrors > 0 && host.consecutive5xx >= policy.consecutive5xxErrors)
            || (policy.consecutiveGatewayErrors > 0 && host.consecutiveGateway >= policy.consecutiveGatewayErrors)
            || (policy.splitLocalOrigin && policy.consecutiveLocalOriginFailures > 0 && host.consecutiveLocal >= policy.consecutiveLocalOriginFailures)
        var ejected = false
        if tripped {
            host.consecutive5xx = 0
            host.consecutiveGateway = 0
            host.consecutiveLocal = 0
            let active = ejectedCount(now: now)
            if active == 0 || Double(active + 1) * 100 <= Double(policy.maxEjectionPercent) * Double(max(endpointCount, 1)) {
                if policy.intervalMs > 0, host.ejections > 0 {
                    host.ejections = max(0, host.ejections - Int((now - host.healthySince) / Int64(policy.intervalMs)))
                }
                host.ejections += 1
                let ceiling = Int64(max(policy.baseEjectionMs, OutlierPolicy.maximumEjectionMs))
                host.ejectedUntil = now + min(Int64(policy.baseEjectionMs) * Int64(host.ejections), ceiling)
                ejected = true
            }
        }
        hosts[key] = host
        return ejected
    }

    public func isEjected(_ key: String, now: Int64) -> Bool {
        guard let until = hosts[key]?.ejectedUntil else { return false }
        return until > now
    }

    public func ejectedCount(now: Int64) -> Int {
        hosts.values.reduce(0) { $0 + (($1.ejectedUntil ?? 0) > now ? 1 : 0) }
    }

    /// The endpoints load balancing may use: the ones not ejected, or all of them when fewer than
    /// `minHealthPercent` are healthy (Envoy's panic mode).
    public func available(_ endpoints: [EndpointGroup.Endpoint], policy: OutlierPolicy, now: Int64) -> [EndpointGroup.Endpoint] {
        let healthy = endpoints.filter { !isEjected($0.key, now: now) }
        if healthy.count * 100 < policy.minHealthPercent * endpoints.count { return endpoints }
        return healthy
    }
}
