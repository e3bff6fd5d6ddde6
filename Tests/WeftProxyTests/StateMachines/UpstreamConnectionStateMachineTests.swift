import Testing
@testable import WeftProxy

/// A pooled upstream connection's state machine alone.
@Suite("upstream connection state machine")
struct UpstreamConnectionStateMachineTests {
    @Test("both ends and keep-alive: back to the pool; the upstream saying close: closed")
    func release() {
        var machine = UpstreamConnectionStateMachine()
        machine.leased()
        machine.requestEnded()
        let result1 = machine.responseHead(keepAlive: true)
        #expect(result1 == .deliver)
        let result2 = machine.responseBody()
        #expect(result2 == .deliver)
        let result3 = machine.responseEnded()
        #expect(result3 == .deliver)
        let result4 = machine.exchangeFinished()
        #expect(result4 == .release)

        var closing = UpstreamConnectionStateMachine()
        closing.leased()
        closing.requestEnded()
        _ = closing.responseHead(keepAlive: false)
        _ = closing.responseEnded()
        let result5 = closing.exchangeFinished()
        #expect(result5 == .close)
    }

    @Test("a response that ends before its request leaves the connection unusable")
    func earlyResponse() {
        var machine = UpstreamConnectionStateMachine()
        machine.leased()
        _ = machine.responseHead(keepAlive: true)
        _ = machine.responseEnded()
        let result6 = machine.exchangeFinished()
        #expect(result6 == .close)
    }

    @Test("a response nobody asked for closes an idle connection; a close under an exchange is told, an idle one forgotten")
    func strayAndClosed() {
        var idle = UpstreamConnectionStateMachine()
        let result7 = idle.responseHead(keepAlive: true)
        #expect(result7 == .close)
        let result8 = idle.closed()
        #expect(result8 == .forget)

        var serving = UpstreamConnectionStateMachine()
        serving.leased()
        machineWritesRequest(&serving)
        let result9 = serving.closed()
        #expect(result9 == .notifyClosed)

        var abandoned = UpstreamConnectionStateMachine()
        abandoned.leased()
        let result10 = abandoned.abandon()
        #expect(result10 == .close)
        let result11 = abandoned.responseBody()
        #expect(result11 == .none, "what arrives after giving up is dropped")
        let result12 = abandoned.closed()
        #expect(result12 == .forget)
    }

    private func machineWritesRequest(_ machine: inout UpstreamConnectionStateMachine) {
        machine.requestEnded()
        _ = machine.responseHead(keepAlive: true)
    }
}

/// The CONNECT tunnel's state machine alone.
@Suite("connect tunnel state machine")
struct ConnectTunnelStateMachineTests {
    @Test("routed, connected, spliced: open")
    func opens() {
        var machine = ConnectTunnelStateMachine()
        let result13 = machine.routed(forward: true)
        #expect(result13 == .connect)
        #expect(machine.isActive)
        let result14 = machine.connected()
        #expect(result14 == .splice)
        let result15 = machine.spliced(true)
        #expect(result15 == .opened)
    }

    @Test("refused by the steps, a failed connect, a client gone meanwhile, a splice that fails")
    func failures() {
        var refused = ConnectTunnelStateMachine()
        let result16 = refused.routed(forward: false)
        #expect(result16 == .answer)
        #expect(!refused.isActive)

        var failed = ConnectTunnelStateMachine()
        _ = failed.routed(forward: true)
        let result17 = failed.connectFailed()
        #expect(result17 == .answer)

        var gone = ConnectTunnelStateMachine()
        _ = gone.routed(forward: true)
        gone.downstreamClosed()
        let result18 = gone.connected()
        #expect(result18 == .closeBoth, "the new connection has nobody to serve")

        var broken = ConnectTunnelStateMachine()
        _ = broken.routed(forward: true)
        _ = broken.connected()
        let result19 = broken.spliced(false)
        #expect(result19 == .closeBoth)
    }
}
