import Testing
import WeftModel
@testable import WeftProxy

/// The start of an inbound connection: first bytes, PeerAuthentication, handshake, timers.
@Suite("inbound transport state machine")
struct InboundTransportStateMachineTests {
    @Test("first bytes × mode: TLS is terminated unless DISABLE; plaintext is served unless STRICT, which refuses it, counted")
    func firstBytes() {
        let cases: [(tls: Bool, mode: PeerAuthenticationMode, expected: InboundTransportStateMachine.FirstBytesAction)] = [
            (true, .permissive, .startTLS), (true, .strict, .startTLS), (true, .disable, .servePlaintext),
            (false, .permissive, .servePlaintext), (false, .disable, .servePlaintext), (false, .strict, .refuse(stat: "no_filter_chain_match")),
        ]
        for testCase in cases {
            var machine = InboundTransportStateMachine()
            let action = machine.firstBytes(tls: testCase.tls, mode: testCase.mode, haveCertificate: true)
            #expect(action == testCase.expected, "\(testCase)")
            let again = machine.firstBytes(tls: testCase.tls, mode: testCase.mode, haveCertificate: true)
            #expect(again == .none, "decided once")
        }
        var uncertified = InboundTransportStateMachine()
        let refused = uncertified.firstBytes(tls: true, mode: .strict, haveCertificate: false)
        #expect(refused == .refuse(stat: "ssl.no_certificate"))
        #expect(InboundTransportStateMachine.looksLikeTLS(firstByte: 0x16) && !InboundTransportStateMachine.looksLikeTLS(firstByte: UInt8(ascii: "G")))
    }

    @Test("the handshake serves a proved peer; failures close counted by reason; each timer closes only its own wait")
    func handshake() {
        func handshaking() -> InboundTransportStateMachine {
            var machine = InboundTransportStateMachine()
            _ = machine.firstBytes(tls: true, mode: .strict, haveCertificate: true)
            return machine
        }
        var proved = handshaking()
        #expect(proved.handshakeCompleted(peerPresented: true) == .serve)
        #expect(proved.timerFired() == .none, "a serving connection is the HTTP timers' business")
        var anonymous = handshaking()
        #expect(anonymous.handshakeCompleted(peerPresented: false) == .close(stat: "ssl.fail_verify_no_cert"))
        for (reason, stat) in [("handshakeFailed(sslError([CERTIFICATE_VERIFY_FAILED]))", "ssl.fail_verify_error"),
                               ("handshakeFailed(sslError([PEER_DID_NOT_RETURN_A_CERTIFICATE]))", "ssl.fail_verify_no_cert"),
                               ("handshakeFailed(sslError([WRONG_VERSION_NUMBER]))", "ssl.connection_error")] {
            var machine = handshaking()
            #expect(machine.handshakeFailed(reason: reason) == .close(stat: stat), "\(reason)")
        }
        var stalled = handshaking()
        #expect(stalled.timerFired() == .close(stat: "ssl.handshake_timeout"))
        var silent = InboundTransportStateMachine()
        #expect(silent.timerFired() == .close(stat: "downstream_pre_cx_timeout"))
    }

    @Test("auto mTLS picks the transport per endpoint: Istio's SNI and the service identities; DestinationRule modes override")
    func transportChoice() {
        var cluster = ClusterConfig(serviceHost: "httpbin.foo.svc.cluster.local", port: 8000, subset: "v1")
        cluster.serviceIdentities = ["spiffe://cluster.local/ns/foo/sa/httpbin", "spiffe://cluster.local/ns/foo/sa/httpbin-v2"]
        let meshEndpoint = EndpointGroup.Endpoint(address: "127.0.0.5", port: 8080, labels: [:], locality: "", weight: 1, workload: "httpbin",
                                                  identity: "spiffe://cluster.local/ns/foo/sa/httpbin")
        let plainEndpoint = EndpointGroup.Endpoint(address: "127.0.0.6", port: 8080, labels: [:], locality: "", weight: 1, workload: "legacy")
        #expect(UpstreamTransport.choose(cluster: ClusterView(cluster), endpoint: meshEndpoint)
                == .istioMutual(sni: "outbound_.8000_.v1_.httpbin.foo.svc.cluster.local", identities: cluster.serviceIdentities))
        #expect(UpstreamTransport.choose(cluster: ClusterView(cluster), endpoint: plainEndpoint) == .plaintext)
        cluster.tls = UpstreamTLS(mode: .disable)
        #expect(UpstreamTransport.choose(cluster: ClusterView(cluster), endpoint: meshEndpoint) == .plaintext)
        cluster.tls = UpstreamTLS(mode: .istioMutual, subjectAltNames: ["spiffe://cluster.local/ns/foo/sa/other"])
        #expect(UpstreamTransport.choose(cluster: ClusterView(cluster), endpoint: plainEndpoint)
                == .istioMutual(sni: "outbound_.8000_.v1_.httpbin.foo.svc.cluster.local", identities: ["spiffe://cluster.local/ns/foo/sa/other"]))
        cluster.tls = UpstreamTLS(mode: .simple)
        #expect(UpstreamTransport.choose(cluster: ClusterView(cluster), endpoint: meshEndpoint) == .originate(UpstreamTLS(mode: .simple), sni: "httpbin.foo.svc.cluster.local"))
        #expect(UpstreamTransport.plaintext.poolKey(host: "a", port: 1, cluster: "c") != UpstreamTransport.istioMutual(sni: "s", identities: []).poolKey(host: "a", port: 1, cluster: "c"))
        // A pool per cluster, as Envoy's: the same endpoint under another service is another pool.
        #expect(UpstreamTransport.plaintext.poolKey(host: "a", port: 1, cluster: "c") != UpstreamTransport.plaintext.poolKey(host: "a", port: 1, cluster: "d"))
    }
}
