import WeftAPI
import WeftModel

/// Every PeerAuthentication of a revision, resolved with Istio's precedence for one workload and
/// port: a workload policy's `portLevelMtls` for the container port, then the workload policy
/// (selector matching the workload's labels, in its namespace), then the namespace's policy
/// (no selector), then the mesh-wide one (root namespace, no selector); `UNSET` and a missing
/// mode inherit from the next wider level, and nothing set at all is PERMISSIVE. Among several
/// policies at one level the oldest wins (creation time, then name), as in Istio.
public struct PeerAuthenticationPolicies: Sendable, Hashable {
    private let rootNamespace: String
    /// Per namespace, oldest first.
    private let byNamespace: [String: [PeerAuthentication]]

    public init(_ policies: [PeerAuthentication], rootNamespace: String) {
        self.rootNamespace = rootNamespace
        let ordered = policies.sorted { ($0.metadata.creationTimestamp ?? "", $0.name) < ($1.metadata.creationTimestamp ?? "", $1.name) }
        byNamespace = Dictionary(grouping: ordered, by: \.namespace)
    }

    public static let none = PeerAuthenticationPolicies([], rootNamespace: "istio-system")

    /// What the workload (namespace, labels) accepts on container port `port`.
    public func mode(namespace: String, labels: [String: String], port: Int?) -> PeerAuthenticationMode {
        decision(namespace: namespace, labels: labels, port: port).mode
    }

    /// The mode and the policy (`namespace/name`) that decided it; nil when none did (the default).
    public func decision(namespace: String, labels: [String: String], port: Int?) -> (mode: PeerAuthenticationMode, policy: String?) {
        var decided: (mode: PeerAuthenticationMode, policy: String)?
        func consider(_ mode: PeerAuthenticationMode?, _ policy: PeerAuthentication) {
            if let mode { decided = (mode, "\(policy.namespace)/\(policy.name)") }
        }
        if let mesh = wide(rootNamespace) { consider(Self.mode(of: mesh.spec.mtls), mesh) }
        if namespace != rootNamespace, let own = wide(namespace) { consider(Self.mode(of: own.spec.mtls), own) }
        if let workload = workloadPolicy(namespace: namespace, labels: labels) {
            consider(Self.mode(of: workload.spec.mtls), workload)
            if let port, let level = workload.spec.portLevelMtls?[String(port)] { consider(Self.mode(of: level), workload) }
        }
        return decided.map { ($0.mode, $0.policy) } ?? (.permissive, nil)
    }

    /// The namespace-wide policy (no selector) of `namespace`, oldest first.
    private func wide(_ namespace: String) -> PeerAuthentication? {
        byNamespace[namespace]?.first { $0.spec.selector?.matchLabels?.isEmpty ?? true }
    }

    private func workloadPolicy(namespace: String, labels: [String: String]) -> PeerAuthentication? {
        byNamespace[namespace]?.first { policy in
            guard let selector = policy.spec.selector?.matchLabels, !selector.isEmpty else { return false }
            return selector.allSatisfy { labels[$0.key] == $0.value }
        }
    }

    private static func mode(of tls: PeerAuthenticationSpec.MutualTLS?) -> PeerAuthenticationMode? {
        switch tls?.mode {
        case .STRICT?: return .strict
        case .PERMISSIVE?: return .permissive
        case .DISABLE?: return .disable
        case .UNSET?, nil: return nil
        }
    }
}
