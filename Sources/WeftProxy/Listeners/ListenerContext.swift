import Logging
import NIOCore
import WeftModel

/// What every connection of one listener shares: its decision steps, the configuration store,
/// the upstream pool (loop-bound), load balancing state and counters.
struct ListenerContext: Sendable {
    var name: String
    var pipeline: RequestPipeline
    var configuration: ConfigurationStore
    /// The route table requests are routed with (nil for inbound, which always goes to the app).
    var routeTable: String?
    var pool: NIOLoopBoundBox<UpstreamConnectionPool>
    var balancer: LoadBalancerState
    var stats: ProxyStats
    var scheme: String = "http"
    /// Port assumed when the authority names none.
    var defaultPort: Int = 80
    /// Append the client address to `x-forwarded-for`: gateways (Envoy's `use_remote_address`);
    /// a sidecar's listeners leave it as it came, as Istio's do.
    var appendForwardedFor: Bool
    /// How long a client may take to send a request's headers once it has started (408 after).
    var requestHeadersTimeout: TimeAmount = .seconds(10)
    /// Inbound: the container port, whose PeerAuthentication decides TLS or plaintext per connection.
    var inboundPort: Int?
    /// Inbound: the app's private address, where a TCP port's bytes go.
    var appHost: String?
    /// A Sidecar egress port's protocol: `TCP` (each connection spliced to its upstream), `TLS`
    /// (the same, chosen by the ClientHello's server name) or `HTTP`; nil on other listeners.
    var egressProtocol: String?
    /// Inbound and gateway listeners enforce the AuthorizationPolicies of their port (`defaultPort`).
    var enforcesAuthorization = false
    /// The workload certificate (inbound TLS termination; `X-Forwarded-Client-Cert`'s `By=`).
    var certificates: WorkloadCertificates?
    /// How long a new inbound connection may take to send its first bytes, and then to finish
    /// its TLS handshake (Envoy's listener filter timeout is 15 s).
    var tlsHandshakeTimeout: TimeAmount = .seconds(10)
    /// Istio's standard metrics of this proxy (nil: not recorded).
    var telemetry: ProxyTelemetry?
    /// This proxy's spans (nil: not traced, whatever the configuration says).
    var tracer: ProxyTracer?
    /// The `server` header every answer carries, overwriting the upstream's (gateways: Istio's
    /// `istio-envoy`); nil: the upstream's passes through.
    var serverHeader: String?
    /// Gateways: the server TLS contexts of the port's HTTPS and TLS servers; sidecars' inbound
    /// ports: those of a Sidecar ingress listener's own `tls`.
    var gatewayTLS: GatewayTLSContexts?
    /// Transparent capture: where the connection was going (an unknown host passes through to it).
    var originalDestination: CaptureTable.Destination?
    /// Gateways: the trusted client address and `X-Forwarded-Client-Cert` handling (`gatewayTopology`); nil elsewhere.
    var gatewayEdge: GatewayEdge?
    /// A connection behind a PROXY protocol header: the ends it named (this connection's copy of the context alone).
    var proxiedAddresses: ProxiedAddresses?

    /// The connection's client address: the PROXY header's when one came, the socket's peer otherwise.
    func remoteAddress(of channel: any Channel) -> SocketAddress? { proxiedAddresses?.remote ?? channel.remoteAddress }
    /// The address the client connected to: the PROXY header's when one came, the socket's otherwise.
    func localAddress(of channel: any Channel) -> SocketAddress? { proxiedAddresses?.local ?? channel.localAddress }
}

/// The steps of each kind of listener, composed in one place and read top to bottom. The steps
/// decide; what takes time (a fault's delay, the route timeout, retries, mirrors, the breaker's
/// slot) they put in the request's plan (`RequestContext`), which the exchange carries out, every
/// attempt through the same upstream attempt (`UpstreamAttempt`).
public enum ListenerPipelines {
    /// Outbound (the app's HTTP proxy) and gateways.
    /// `authorizing`: gateways enforce the AuthorizationPolicies that select them first.
    public static func routed(balancer: LoadBalancerState, pool: NIOLoopBoundBox<UpstreamConnectionPool>? = nil, stats: ProxyStats? = nil,
                              logger: Logger? = nil, authorizing: Bool = false) -> RequestPipeline {
        RequestPipeline(steps: [
            RecordTelemetry(),
            AuthenticateRequest(stats: stats, logger: logger, enabled: authorizing),  // gateways: RequestAuthentication, JWT (left out of outbound)
            Authorize(stats: stats, logger: logger, enabled: authorizing),  // gateways: AuthorizationPolicy (left out of outbound)
            SelectRoute(),       // VirtualService: route, weighted cluster; 404 NR, redirects, direct responses
            AnswerCORS(),        // corsPolicy: preflights answered here
            InjectFault(),       // fault: abort (FI), or a delay the exchange waits out (DI)
            ApplyTimeout(),      // timeout: 504 UT when no response has started in time
            ApplyRetryPolicy(),  // retries: which failures are sent again, how often
            MirrorRequest(),     // mirrors: each mirror's share rolled; the copy goes once the request is whole
            PickEndpoint(balancer: balancer),   // subset, load balancer, outlier ejection, locality; 503 UH
            AdmitRequest(pool: pool, stats: stats),  // connectionPool: http2MaxRequests; 503 UO
        ]) { context in
            // Taken, not copied: the decision carries the upstream on, and nothing reads it in the context after.
            context.upstream.take().map(RequestDecision.forward) ?? .respond(LocalResponse(status: 503, flag: "NC", body: "no healthy upstream"))
        }
    }

    /// Inbound: every request goes to the application's private address once the security steps let it.
    public static func inbound(appHost: String, appPort: Int, stats: ProxyStats? = nil, logger: Logger? = nil) -> RequestPipeline {
        RequestPipeline(steps: [
            RecordTelemetry(),
            AuthenticatePeer(),     // PeerAuthentication, mutual TLS
            AuthenticateRequest(stats: stats, logger: logger),  // RequestAuthentication, JWT; 401 for a token that fails
            Authorize(stats: stats, logger: logger),  // AuthorizationPolicy: DENY, then ALLOW; 403 "RBAC: access denied"
        ]) { context in
            // Without a verified token's edits, every request on the connection goes to the app the
            // same way: the upstream made for the first is kept (one allocation and the cluster's
            // name made again, a request, before).
            let keeps = context.authenticationHeaders == nil
            if keeps, let kept = context.hints?.inbound(configuration: context.configuration, port: appPort) { return .forward(kept) }
            var app = RequestDecision.Upstream(host: appHost, port: context.configuration.inboundAppPort(appPort), cluster: "inbound|\(appPort)||",
                                               connectTimeoutMs: 10_000, headers: context.authenticationHeaders,
                                               connectionPool: context.configuration.inboundConnectionPool(appPort))
            app.http2 = context.configuration.inboundSpeaksHTTP2(port: appPort)
            if keeps { context.hints?.keepInbound(app, configuration: context.configuration, port: appPort) }
            return .forward(app)
        }
    }
}
