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
    /// Append the client address to `x-forwarded-for` (edges: gateways and inbound).
    var appendForwardedFor: Bool
    /// How long a client may take to send a request's headers once it has started (408 after).
    var requestHeadersTimeout: TimeAmount = .seconds(10)
}

/// The decision steps of each kind of listener, composed in one place and read top to bottom.
/// What takes time after the decision (the route timeout, retries, mirrors, the breaker's
/// admission and the upstream attempt) the exchange carries out from the decision's values.
public enum ListenerPipelines {
    /// Outbound (the app's HTTP proxy) and gateways.
    public static func routed(balancer: LoadBalancerState) -> RequestPipeline {
        RequestPipeline(steps: [
            RecordTelemetry(),
            SelectRoute(),      // VirtualService: route, weighted cluster; 404 NR, redirects, direct responses
            AnswerCORS(),       // corsPolicy: preflights answered here
            InjectFault(),      // fault: abort (FI) or a delay the exchange waits out (DI)
            PickEndpoint(balancer: balancer),  // subset, load balancer, outlier ejection, locality; 503 UH
        ]) { _ in
            .respond(LocalResponse(status: 503, flag: "NC", body: "no healthy upstream"))
        }
    }

    /// Inbound: every request goes to the application's private address once the security steps let it.
    public static func inbound(appHost: String, appPort: Int) -> RequestPipeline {
        RequestPipeline(steps: [
            RecordTelemetry(),
            AuthenticatePeer(),     // PeerAuthentication, mutual TLS
            AuthenticateRequest(),  // RequestAuthentication, JWT
            Authorize(),            // AuthorizationPolicy
        ]) { _ in
            .forward(.init(host: appHost, port: appPort, cluster: "inbound|\(appPort)||", connectTimeoutMs: 10_000, headers: nil))
        }
    }
}
