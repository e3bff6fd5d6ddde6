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

/// The decision steps of each kind of listener, composed in one place.
enum ListenerPipelines {
    /// Outbound (the app's HTTP proxy) and gateways: route, then pick an endpoint.
    static func routed(balancer: LoadBalancerState) -> RequestPipeline {
        RequestPipeline(steps: [SelectRoute(), AnswerCORS(), InjectFault(), PickEndpoint(balancer: balancer)]) { _ in
            .respond(LocalResponse(status: 503, flag: "NC", body: "no healthy upstream"))
        }
    }

    /// Inbound: every request goes to the application's private address.
    static func inbound(appHost: String, appPort: Int) -> RequestPipeline {
        RequestPipeline(steps: []) { _ in
            .forward(.init(host: appHost, port: appPort, cluster: "inbound|\(appPort)||", connectTimeoutMs: 10_000, headers: nil))
        }
    }
}
