import Logging
import WeftJWT
import WeftModel

/// Inbound and gateways: the end user's JWT, checked against the workload's RequestAuthentication
/// (`JWTAuthenticator`). No token passes unauthenticated; a token that fails answers 401 with
/// Envoy's reason as the body, counted `jwt_authn.denied` and per reason. A verified token's
/// claims are what AuthorizationPolicy and `@request.auth.claims` routes read next.
public struct AuthenticateRequest: RequestStep {
    let stats: ProxyStats?
    let logger: Logger?
    let enabled: Bool

    /// `enabled: false` leaves the step out of the pipeline (a sidecar's outbound listener).
    public init(stats: ProxyStats? = nil, logger: Logger? = nil, enabled: Bool = true) {
        self.stats = stats
        self.logger = logger
        self.enabled = enabled
    }

    public var isPassThrough: Bool { !enabled }

    public func decide(_ context: inout RequestContext) -> RequestDecision? {
        guard let port = context.localPort, let authenticator = context.configuration.authenticator(port: port) else { return nil }
        switch authenticator.authenticate(context.attributes) {
        case .noToken:
            return nil
        case .verified(let auth, let edits):
            stats?.increment("jwt_authn.allowed")
            context.attributes.auth = auth
            context.authenticationHeaders = edits
            return nil
        case .refused(let failure):
            stats?.increment("jwt_authn.denied")
            stats?.increment("jwt_authn.denied.\(failure.counter)")
            logger?.debug("jwt_authn: refused", metadata: ["reason": "\(failure.message)", "path": "\(context.attributes.path)"])
            let realm = "\(context.attributes.scheme)://\(context.attributes.authority)\(context.attributes.path)"
            return .respond(LocalResponse(status: 401, flag: "", body: failure.message,
                                          headers: [("www-authenticate", "Bearer realm=\"\(realm)\", error=\"invalid_token\"")]))
        }
    }
}
