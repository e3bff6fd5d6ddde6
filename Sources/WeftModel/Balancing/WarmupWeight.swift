#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Slow start (Envoy's slow_start_config, Istio's `warmup`): an endpoint younger than the window
/// gets a share of its weight growing from `minimumPercent` as (age / window)^(1 / aggression).
public enum WarmupWeight {
    public static func factor(ageMs: Int64, policy: WarmupPolicy) -> Double {
        guard policy.durationMs > 0, ageMs < Int64(policy.durationMs) else { return 1 }
        let progress = max(Double(ageMs), 1) / Double(policy.durationMs)
        let aggression = policy.aggression > 0 ? policy.aggression : 1
        return max(policy.minimumPercent / 100, pow(progress, 1 / aggression))
    }
}
