import Testing
import WeftModel
import WeftProxy

/// The two pipelines as ARCHITECTURE.md lists them; the places later issues fill cost requests nothing yet.
@Suite("listener pipelines")
struct ListenerPipelinesTests {
    @Test("outbound: record telemetry, (authenticate request, authorize: gateways only), select route, CORS, fault, timeout, retry, mirror, pick endpoint, admit")
    func outbound() {
        let pipeline = ListenerPipelines.routed(balancer: LoadBalancerState())
        #expect(pipeline.composed == ["RecordTelemetry", "AuthenticateRequest", "Authorize", "SelectRoute", "AnswerCORS", "InjectFault", "ApplyTimeout", "ApplyRetryPolicy", "MirrorRequest", "PickEndpoint", "AdmitRequest"])
        #expect(pipeline.steps.count == 8, "the pass-through telemetry place and a sidecar's outbound authorization are not run per request")
        let gateway = ListenerPipelines.routed(balancer: LoadBalancerState(), authorizing: true)
        #expect(gateway.steps.count == 10, "a gateway authenticates end users and authorizes")
    }

    @Test("inbound: record telemetry, authenticate peer, authenticate request, authorize, then the app")
    func inbound() {
        let pipeline = ListenerPipelines.inbound(appHost: "127.0.0.2", appPort: 9080)
        #expect(pipeline.composed == ["RecordTelemetry", "AuthenticatePeer", "AuthenticateRequest", "Authorize"])
        var context = RequestContext(attributes: RequestAttributes(authority: "reviews", path: "/"), configuration: ActiveConfiguration(.empty), routeTable: nil)
        guard case .forward(let upstream) = pipeline.decide(&context) else {
            Issue.record("inbound requests go to the app")
            return
        }
        #expect(upstream.host == "127.0.0.2" && upstream.port == 9080 && upstream.cluster == "inbound|9080||")
    }

    @Test("inbound: a connection's requests share the upstream to the app while the configuration lasts; a verified token's edits get their own")
    func inboundKept() throws {
        let pipeline = ListenerPipelines.inbound(appHost: "127.0.0.2", appPort: 9080)
        let hints = LookupHints()
        func decided(_ configuration: ActiveConfiguration, edits: HeaderEdits? = nil) throws -> RequestDecision.Upstream {
            var context = RequestContext(attributes: RequestAttributes(authority: "reviews", path: "/"), configuration: configuration, routeTable: nil, hints: hints)
            context.authenticationHeaders = edits
            guard case .forward(let upstream) = pipeline.decide(&context) else { throw CancellationError() }
            return upstream
        }
        let configuration = ActiveConfiguration(.empty)
        let first = try decided(configuration)
        #expect(try decided(configuration) == first)
        var edits = HeaderEdits()
        edits.requestSet = ["x-jwt-payload": "e30"]
        let authenticated = try decided(configuration, edits: edits)
        #expect(authenticated.headers == edits && authenticated.host == "127.0.0.2")
        #expect(try decided(configuration).headers == nil, "the kept upstream is not the token's")
        let next = try decided(ActiveConfiguration(.empty))
        #expect(next == first && next.port == 9080, "made again under a new configuration, the same")
    }
}
