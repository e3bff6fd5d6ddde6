import Logging
import NIOCore
import WeftModel

/// AuthorizationPolicy on a TCP connection, as Envoy's network RBAC filter enforces it in front of
/// Istio's tcp_proxy (stat prefix `tcp.`): judged once, when the transport is settled, by the
/// policies as a connection sees them (`AuthorizationPolicyConfig.forConnections`): the peer's
/// principal and namespace, the client's and the workload's addresses, the port. A denial closes
/// the connection before the app sees a byte, counted `tcp.rbac.denied` (and per deciding policy)
/// and logged with the policy and rule that decided; dry-run policies count their shadow decision.
enum AuthorizeConnection {
    static let logger = Logger(label: "weft.rbac")

    /// Whether the connection on `channel` (an inbound or gateway port's) may go on.
    static func allows(_ channel: any Channel, port: Int, peer: ConnectionPeer?, listener: ListenerContext) -> Bool {
        let policies = listener.configuration.active.connectionAuthorization(port: port)
        guard !policies.isEmpty else { return true }
        let source = listener.remoteAddress(of: channel)?.ipText
        let request = AuthorizationEngine.Request(principal: peer?.principal, sourceIP: source, remoteIP: source,
                                                  destinationIP: listener.localAddress(of: channel)?.ipText, destinationPort: port, method: "", path: "")
        let stats = listener.stats
        let (decision, shadow) = AuthorizationEngine.evaluate(policies, request)
        if let shadow {
            stats.increment(shadow.allowed ? "tcp.rbac.shadow_allowed" : "tcp.rbac.shadow_denied")
        }
        for policy in decision.audited { stats.increment("tcp.rbac.audited.\(policy)") }
        guard decision.allowed else {
            stats.increment("tcp.rbac.denied")
            stats.increment("tcp.rbac.denied.\(decision.policy ?? "no_allow_policy_matched")")
            logger.info("rbac: enforced denied connection, \(Authorize.matched(decision))",
                        metadata: ["port": "\(port)", "source": "\(source ?? "")", "principal": "\(peer?.principal ?? "")"])
            return false
        }
        stats.increment("tcp.rbac.allowed")
        return true
    }
}
