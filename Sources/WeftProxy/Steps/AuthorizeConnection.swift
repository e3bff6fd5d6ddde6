import Logging
import NIOCore
import WeftModel

/// AuthorizationPolicy on a TCP connection, as Envoy's network RBAC and ext_authz filters enforce it
/// in front of Istio's tcp_proxy (stat prefix `tcp.`): judged once, when the transport is settled,
/// by the policies as a connection sees them (`AuthorizationPolicyConfig.forConnections`): the
/// peer's principal and namespace, the client's and the workload's addresses, the port. A CUSTOM
/// policy with a gRPC provider asks it first (Envoy's Check with both ends, no request), then DENY
/// and ALLOW decide. A denial closes the connection before the app sees a byte, counted
/// `tcp.rbac.denied` (and per deciding policy) or `tcp.ext_authz.denied`, and logged with the
/// policy and rule that decided; dry-run policies count their shadow decision.
enum AuthorizeConnection {
    static let logger = Logger(label: "weft.rbac")

    /// Runs `admitted` once the connection on `channel` (an inbound or gateway port's) may go on:
    /// at once without a provider to ask, else when it has answered; closes the connection when it
    /// may not (after `refused`). The caller's splice holds what the client sends meanwhile.
    static func admit(_ channel: any Channel, port: Int, peer: ConnectionPeer?, listener: ListenerContext,
                      refused: @escaping () -> Void = {}, admitted: @escaping () -> Void) {
        let refuse = {
            refused()
            channel.close(promise: nil)
        }
        let policies = listener.configuration.active.connectionAuthorization(port: port)
        guard !policies.isEmpty else { return admitted() }
        let source = listener.remoteAddress(of: channel)
        let destination = listener.localAddress(of: channel)
        let request = AuthorizationEngine.Request(principal: peer?.principal, sourceIP: source?.ipText, remoteIP: source?.ipText,
                                                  destinationIP: destination?.ipText, destinationPort: port, method: "", path: "")
        let stats = listener.stats
        let allowed = decide(policies, request, port: port, stats: stats)
        guard let authorizer = AuthorizationEngine.externalAuthorizer(policies, request) else {
            return allowed ? admitted() : refuse()
        }
        if let reason = authorizer.unusable {
            stats.increment("tcp.ext_authz.error")
            logger.info("ext_authz: \(reason): connection denied", metadata: ["port": "\(port)", "source": "\(source?.ipText ?? "")"])
            return refuse()
        }
        guard let target = ExternalAuthorization.target(authorizer, configuration: listener.configuration.active, listener: listener) else {
            stats.increment("tcp.ext_authz.error")
            return refuse()
        }
        let check = ExternalAuthorizationGRPC.connectionCheck(peers: .init(source: source, sourcePrincipal: peer?.certificate.identity ?? "",
                                                                             destination: destination, destinationPrincipal: peer?.localIdentity ?? ""))
        ExternalAuthorizationGRPC.check(check, target: target, authorizer: authorizer, pool: listener.pool.value)
            .hop(to: channel.eventLoop)
            .assumeIsolated()
            .whenSuccess { verdict in
                let goesOn: Bool
                switch verdict {
                case .allowed:
                    stats.increment("tcp.ext_authz.ok")
                    goesOn = allowed
                case .denied:
                    stats.increment("tcp.ext_authz.denied")
                    goesOn = false
                case .failed:
                    stats.increment("tcp.ext_authz.error")
                    if authorizer.failOpen { stats.increment("tcp.ext_authz.failure_mode_allowed") }
                    goesOn = authorizer.failOpen && allowed
                }
                guard goesOn, channel.isActive else { return refuse() }
                admitted()
            }
    }

    /// DENY, then ALLOW, counted and logged; whether the connection may go on.
    private static func decide(_ policies: [AuthorizationPolicyConfig], _ request: AuthorizationEngine.Request, port: Int, stats: ProxyStats) -> Bool {
        let (decision, shadow) = AuthorizationEngine.evaluate(policies, request)
        if let shadow {
            stats.increment(shadow.allowed ? "tcp.rbac.shadow_allowed" : "tcp.rbac.shadow_denied")
        }
        for policy in decision.audited { stats.increment("tcp.rbac.audited.\(policy)") }
        guard decision.allowed else {
            stats.increment("tcp.rbac.denied")
            stats.increment("tcp.rbac.denied.\(decision.policy ?? "no_allow_policy_matched")")
            logger.info("rbac: enforced denied connection, \(Authorize.matched(decision))",
                        metadata: ["port": "\(port)", "source": "\(request.sourceIP ?? "")", "principal": "\(request.principal ?? "")"])
            return false
        }
        stats.increment("tcp.rbac.allowed")
        return true
    }
}
