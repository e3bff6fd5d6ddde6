import Testing
import WeftModel
@testable import WeftControlPlane

@Suite("workload registrations")
struct WorkloadRegistrationsTests {
    let start = ContinuousClock.now

    func node(_ id: String, mode: ProxyIdentity.Mode = .sidecar, podIP: String = "127.0.20.1", ready: Bool = true) -> ProxyHub.Node {
        ProxyHub.Node(identity: ProxyIdentity(id: id, namespace: "default", labels: ["app": "reviews"], mode: mode), podIP: podIP,
                      ports: ["http": 9080], workloadName: id, ready: ready)
    }

    @Test("a sidecar registers its workload, a router its gateway pod (plaintext, origin gateway); a proxy without a pod IP registers none")
    func registers() {
        var registrations = WorkloadRegistrations<ContinuousClock.Instant>(grace: .seconds(2))
        registrations.connect(1, node("reviews-a"))
        registrations.connect(2, node("gateway", mode: .router))
        registrations.connect(3, node("bare", podIP: ""))
        #expect(registrations.workloads.map(\.name) == ["gateway", "reviews-a"])
        #expect(registrations.workloads.map(\.origin) == [.gateway, .sidecar])
        #expect(registrations.workloads.last?.namedPorts == ["http": 9080])
    }

    @Test("readiness changes what the registry holds only when it changes")
    func readiness() {
        var registrations = WorkloadRegistrations<ContinuousClock.Instant>(grace: .seconds(2))
        registrations.connect(1, node("reviews-a", ready: false))
        #expect(registrations.workloads.first?.ready == false)
        let r1 = registrations.setReady(1, true)
        #expect(r1)
        let r2 = registrations.setReady(1, true)
        #expect(!r2)
        #expect(registrations.workloads.first?.ready == true)
        let r3 = registrations.setReady(9, true)
        #expect(!r3, "an unknown proxy changes nothing")
    }

    @Test("a departed workload stays for the grace period, and a reconnect within it replaces it")
    func grace() throws {
        var registrations = WorkloadRegistrations<ContinuousClock.Instant>(grace: .seconds(2))
        registrations.connect(1, node("reviews-a"))
        let r4 = registrations.disconnect(1, at: start)
        let until = try #require(r4)
        #expect(until == start.advanced(by: .seconds(2)))
        #expect(registrations.workloads.map(\.name) == ["reviews-a"])
        let r5 = registrations.expire(at: start.advanced(by: .seconds(1)))
        #expect(!r5)
        let r6 = registrations.expire(at: until)
        #expect(r6)
        #expect(registrations.workloads.isEmpty)

        registrations.connect(2, node("reviews-b"))
        _ = registrations.disconnect(2, at: start)
        registrations.connect(3, node("reviews-b"))
        #expect(registrations.workloads.map(\.name) == ["reviews-b"], "once, not twice")
        let r7 = registrations.expire(at: until)
        #expect(!r7, "nothing departed is left to expire")
    }
}
