/// Envoy's response flags: the short codes in `%RESPONSE_FLAGS%` and metrics, and the long
/// names `%RESPONSE_FLAGS_LONG%` prints.
public enum ResponseFlag {
    public static let longNamesByCode: [String: String] = [
        "UH": "NoHealthyUpstream", "UF": "UpstreamConnectionFailure", "UO": "UpstreamOverflow", "NR": "NoRouteFound",
        "URX": "UpstreamRetryLimitExceeded", "NC": "NoClusterFound", "DT": "DurationTimeout", "DC": "DownstreamConnectionTermination",
        "LH": "FailedLocalHealthCheck", "UT": "UpstreamRequestTimeout", "LR": "LocalReset", "UR": "UpstreamRemoteReset",
        "UC": "UpstreamConnectionTermination", "DI": "DelayInjected", "FI": "FaultInjected", "RL": "RateLimited",
        "UAEX": "UnauthorizedExternalService", "RLSE": "RateLimitServiceError", "IH": "InvalidEnvoyRequestHeaders",
        "SI": "StreamIdleTimeout", "DPE": "DownstreamProtocolError", "UPE": "UpstreamProtocolError", "UMSDR": "UpstreamMaxStreamDurationReached",
        "OM": "OverloadManagerTerminated", "DF": "DnsResolutionFailed", "DO": "DropOverload", "DR": "DownstreamRemoteReset",
    ]

    /// `UF,URX` → `UpstreamConnectionFailure,UpstreamRetryLimitExceeded`; `-` stays `-`.
    public static func longNames(_ flags: String) -> String {
        guard flags != "-", !flags.isEmpty else { return "-" }
        return flags.split(separator: ",").map { longNamesByCode[String($0)] ?? String($0) }.joined(separator: ",")
    }

    /// Envoy's `%RESPONSE_CODE_DETAILS%` for a local answer with `flag` (nil: the upstream answered).
    public static func details(flag: String?) -> String {
        switch flag {
        case nil, "": return "via_upstream"
        case "NR": return "route_not_found"
        case "FI": return "fault_filter_abort"
        case "UH", "NC": return "no_healthy_upstream"
        case "UO": return "upstream_reset_before_response_started{overflow}"
        case "UF": return "upstream_reset_before_response_started{connection_failure}"
        case "UC": return "upstream_reset_before_response_started{connection_termination}"
        case "UPE": return "upstream_reset_before_response_started{protocol_error}"
        case "UT": return "response_timeout"
        case "URX": return "via_upstream"
        case "RL": return "local_rate_limited"
        case "UAEX": return "ext_authz_denied"
        case "DPE": return "http1.codec_error"
        default: return "local_reply"
        }
    }
}
