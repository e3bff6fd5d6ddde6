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
}
