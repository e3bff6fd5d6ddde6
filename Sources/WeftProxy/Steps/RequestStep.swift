import NIOCore
import NIOHTTP1
import WeftModel

/// What a request needs from the steps: its parsed attributes, the configuration it runs under,
/// and what the steps decided so far.
public struct RequestContext: Sendable {
    public var attributes: RequestAttributes
    /// What the request's connection gives every request on it (the configuration, the peer, the
    /// route table), shared; read through the properties below.
    public let connection: RequestConnection
    /// Set by SelectRoute: the virtual host and route that matched.
    public var virtualHost: Optional<String>
    public var route: Optional<RouteEntry>
    public var cluster: Optional<String>
    // The plan: what the exchange carries out over time, as the steps set it.
    /// Set by InjectFault: hold the decision this long first (flag DI).
    public var faultDelayMs: Optional<Int>
    /// Set by Authorize: a CUSTOM policy matched; its external authorizer is asked before the decision is carried out.
    public var externalCheck: Optional<ExternalCheck>
    /// Set by ApplyTimeout: the route timeout (504 UT when no response has started by then); nil for none.
    public var timeoutMs: Optional<Int>
    /// Set by ApplyRetryPolicy: how failed attempts are retried; nil for none.
    public var retry: Optional<RoutePolicy.Retry>
    /// Set by MirrorRequest: the clusters this request's copy goes to (each mirror's share already rolled).
    public var mirrors: [String]
    /// Set by PickEndpoint: where the request goes.
    public var upstream: Optional<RequestDecision.Upstream>
    /// Set by AdmitRequest: the request counts against its cluster's maxRequests while in flight.
    public var countsAgainstMaxRequests: Bool
    /// The roll for a weighted destination (simulations pass one); nil draws one at random.
    public var weightRoll: Optional<Int>
    /// Set by SelectRoute: the chosen destination's header edits, the route's already merged in (at translation).
    public var destinationHeaders: Optional<HeaderEdits>
    /// Set by AuthenticateRequest: the verified token removed, its payload and claims copied (RequestAuthentication).
    public var authenticationHeaders: Optional<HeaderEdits>
    /// Set by AnswerCORS: headers for the upstream's response.
    public var responseHeaders: [HeaderField]

    public var configuration: ActiveConfiguration { connection.configuration }
    public var routeTable: String? { connection.routeTable }
    public var routeIndex: VirtualHostIndex? { connection.routeIndex }
    public var hints: LookupHints? { connection.hints }
    public var downstreamHTTP2: Bool { connection.downstreamHTTP2 }
    public var sourceAddress: String? { connection.sourceAddress }
    /// The client's address as policies read it (`remote.ip`, consistent hashing on the source IP):
    /// behind a gateway's trusted proxies, taken from `X-Forwarded-For`; else the peer's.
    public var remoteAddress: String? {
        connection.trustedProxies == 0 ? connection.sourceAddress
            : ForwardedFor.trustedClient(in: attributes.headers, trustedProxies: connection.trustedProxies) ?? connection.sourceAddress
    }
    public var peerPrincipal: String? { connection.peerPrincipal }
    public var localPort: Int? { connection.localPort }
    public var localAddress: String? { connection.localAddress }
    public var originalDestination: CaptureTable.Destination? { connection.originalDestination }

    /// A context whose connection is made for it alone (a simulation's, a tunnel's, a test's).
    public init(attributes: RequestAttributes, configuration: ActiveConfiguration, routeTable: String?, routeIndex: VirtualHostIndex? = nil,
                hints: LookupHints? = nil, downstreamHTTP2: Bool = false, sourceAddress: String? = nil, peerPrincipal: String? = nil,
                originalDestination: CaptureTable.Destination? = nil, localPort: Int? = nil, localAddress: String? = nil) {
        self.init(attributes: attributes,
                  connection: RequestConnection(configuration: configuration, routeTable: routeTable, routeIndex: routeIndex, hints: hints,
                                                downstreamHTTP2: downstreamHTTP2, sourceAddress: sourceAddress, peerPrincipal: peerPrincipal,
                                                originalDestination: originalDestination, localPort: localPort, localAddress: localAddress))
    }

    // Every property is set here and none has a default (`Optional<T>`, not `T?`, which would be
    // set to nil first): with defaults the init built the context aside and copied it out, a
    // retain and a release of each of its strings and arrays per request.
    /// A request on `connection` (a proxy connection keeps one for its requests).
    public init(attributes: RequestAttributes, connection: RequestConnection) {
        self.attributes = attributes
        self.connection = connection
        virtualHost = nil
        route = nil
        cluster = nil
        faultDelayMs = nil
        externalCheck = nil
        timeoutMs = nil
        retry = nil
        mirrors = []
        upstream = nil
        countsAgainstMaxRequests = false
        weightRoll = nil
        destinationHeaders = nil
        authenticationHeaders = nil
        responseHeaders = []
    }
}

/// The outcome of the decision steps, returned by the step that decides: small (its `Upstream` is
/// one reference), so not boxed.
public enum RequestDecision: Sendable, Equatable {
    /// Send to this address and port.
    case forward(Upstream)
    /// Answer without an upstream, with Envoy's response flag (NR, UH, ...).
    case respond(LocalResponse)
}

/// A response the proxy writes itself.
public struct LocalResponse: Sendable, Equatable {
    /// The `flag` of a route's `directResponse`: no response flag in Envoy's logs and metrics, code
    /// details `direct_response`; the marker only tells it from the proxy's own failures.
    public static let directResponse = "DR"

    public var status: Int
    public var flag: String
    public var body: String
    public var headers: [(String, String)]
    /// The gRPC status a gRPC caller gets instead of the one `status` maps to (a deadline: `DEADLINE_EXCEEDED`).
    public var grpcStatus: Int?

    public init(status: Int, flag: String, body: String = "", headers: [(String, String)] = [], grpcStatus: Int? = nil) {
        self.status = status
        self.flag = flag
        self.body = body
        self.headers = headers
        self.grpcStatus = grpcStatus
    }

    public static func == (lhs: LocalResponse, rhs: LocalResponse) -> Bool {
        lhs.status == rhs.status && lhs.flag == rhs.flag && lhs.body == rhs.body && lhs.grpcStatus == rhs.grpcStatus
            && lhs.headers.map { "\($0.0)=\($0.1)" } == rhs.headers.map { "\($0.0)=\($0.1)" }
    }
}

/// One decision step; steps run in order, each able to answer or hand on to the next.
/// A step returns its decision, or nil to hand on: the pipeline runs them in a loop. (Each step
/// calling the next through a closure was ~90 instructions a step, eight steps a request.)
public protocol RequestStep: Sendable {
    /// The decision, or nil: the request goes on to the next step (its changes to `context` kept).
    func decide(_ context: inout RequestContext) -> RequestDecision?
    /// A step that only hands on (a place a later feature fills): composed, but left out of the
    /// array the requests run, so it costs them nothing.
    var isPassThrough: Bool { get }
}

extension RequestStep {
    public var isPassThrough: Bool { false }

    /// This step, then `next` when it hands on (a step run on its own, as a retry's pick is).
    public func decide(_ context: inout RequestContext, next: (inout RequestContext) -> RequestDecision) -> RequestDecision {
        decide(&context) ?? next(&context)
    }
}

/// The steps of a listener, built once per configuration and run for every request.
public struct RequestPipeline: Sendable {
    public let steps: [any RequestStep]
    public let terminal: @Sendable (inout RequestContext) -> RequestDecision

    /// Every step as composed, pass-through places included (what the pipeline reads as).
    public let composed: [String]

    public init(steps: [any RequestStep], terminal: @escaping @Sendable (inout RequestContext) -> RequestDecision) {
        self.composed = steps.map { String(describing: type(of: $0)) }
        self.steps = steps.filter { !$0.isPassThrough }
        self.terminal = terminal
    }

    public func decide(_ context: inout RequestContext) -> RequestDecision {
        for index in steps.indices {
            if let decision = steps[index].decide(&context) { return decision }
        }
        return terminal(&context)
    }
}
