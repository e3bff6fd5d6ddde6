import WeftModel

/// What went wrong with one attempt, in the terms Envoy's `retry_on` conditions use.
public enum UpstreamFailure: Sendable, Equatable {
    /// The connection could not be opened (UF).
    case connectFailure
    /// The upstream closed or reset before a response began (UC).
    case reset
    /// The HTTP/2 server refused the stream (RST_STREAM REFUSED_STREAM, or above a GOAWAY's last
    /// stream): nothing of the request was processed.
    case refusedStream
    /// The upstream answered with this status.
    case status(Int)
    /// The attempt's per-try timeout passed before a response began.
    case perTryTimeout
    /// A gRPC answer (HTTP 200) whose headers carry this `grpc-status`.
    case grpcStatus(Int)
}

extension RoutePolicy.Retry {
    /// Whether `failure` is one of the policy's `retryOn` conditions (Envoy's semantics: `5xx` and
    /// `gateway-error` include resets, connect failures and per-try timeouts; numbers name the
    /// retriable status codes).
    public func allows(_ failure: UpstreamFailure) -> Bool {
        let conditions = Set(retryOn)
        switch failure {
        case .connectFailure:
            return !conditions.isDisjoint(with: ["connect-failure", "reset", "5xx", "gateway-error"])
        case .reset, .perTryTimeout:
            return !conditions.isDisjoint(with: ["reset", "5xx", "gateway-error"])
        case .refusedStream:
            return !conditions.isDisjoint(with: ["refused-stream", "reset", "5xx", "gateway-error"])
        case .grpcStatus(let code):
            return RoutePolicy.Retry.grpcConditions[code].map(conditions.contains) ?? false
        case .status(let status):
            if conditions.contains("5xx") && (500...599).contains(status) { return true }
            if conditions.contains("gateway-error") && [502, 503, 504].contains(status) { return true }
            if conditions.contains("retriable-4xx") && status == 409 { return true }
            return conditions.contains("retriable-status-codes") && conditions.contains(String(status))
        }
    }

    /// Envoy's backoff before retry `retry` (1-based): a random time up to 25 ms × 2^(retry-1), at most 250 ms.
    public static func backoffMs(retry: Int, roll: Double) -> Int {
        let ceiling = min(250, 25 << min(max(retry - 1, 0), 4))
        return Int(Double(ceiling) * min(max(roll, 0), 1))
    }
}
