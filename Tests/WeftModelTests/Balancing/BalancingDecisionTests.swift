import Testing
import WeftModel

private func endpoint(_ address: String, priority: Int = 0, weight: Int = 1) -> EndpointGroup.Endpoint {
    EndpointGroup.Endpoint(address: address, port: 9080, labels: [:], locality: "", weight: weight, workload: address, priority: priority)
}

/// `#expect` cannot call a mutating method; this passes the tracker inout.
private func record(_ tracker: inout OutlierTracker, _ outcome: EndpointOutcome, endpoint: String, policy: OutlierPolicy, endpointCount: Int, now: Int64) -> Bool {
    tracker.record(outcome, endpoint: endpoint, policy: policy, endpointCount: endpointCount, now: now)
}

@Suite("balancing decisions")
struct BalancingDecisionTests {
    @Test("outlier detection: N consecutive 5xx eject; a success in between resets; ejection time grows with each ejection and decays while healthy")
    func consecutiveErrors() {
        let policy = OutlierPolicy(consecutive5xxErrors: 3, intervalMs: 1000, baseEjectionMs: 2000, maxEjectionPercent: 100)
        var tracker = OutlierTracker()
        #expect(!record(&tracker, .status(503), endpoint: "a", policy: policy, endpointCount: 2, now: 0))
        #expect(!record(&tracker, .status(500), endpoint: "a", policy: policy, endpointCount: 2, now: 1))
        #expect(!record(&tracker, .status(200), endpoint: "a", policy: policy, endpointCount: 2, now: 2))
        #expect(!record(&tracker, .status(500), endpoint: "a", policy: policy, endpointCount: 2, now: 3))
        #expect(!record(&tracker, .localFailure, endpoint: "a", policy: policy, endpointCount: 2, now: 4), "a local failure counts as a 503 unless split")
        #expect(record(&tracker, .status(502), endpoint: "a", policy: policy, endpointCount: 2, now: 5))
        #expect(tracker.isEjected("a", now: 2004) && !tracker.isEjected("a", now: 2005), "base ejection time")
        for time in 2005...2007 { _ = tracker.record(.status(500), endpoint: "a", policy: policy, endpointCount: 2, now: Int64(time)) }
        #expect(tracker.isEjected("a", now: 6006) && !tracker.isEjected("a", now: 6007), "second ejection lasts twice as long")
        // Healthy for 3 intervals after returning: the multiplier decays from 2 to 0, so the next is 1 × base.
        for time in 10_007...10_009 { _ = tracker.record(.status(500), endpoint: "a", policy: policy, endpointCount: 2, now: Int64(time)) }
        #expect(tracker.isEjected("a", now: 12_008) && !tracker.isEjected("a", now: 12_009))
    }

    @Test("gateway errors and split local-origin failures have their own thresholds")
    func otherDetectors() {
        let gateway = OutlierPolicy(consecutive5xxErrors: 0, consecutiveGatewayErrors: 2, maxEjectionPercent: 100)
        var tracker = OutlierTracker()
        #expect(!record(&tracker, .status(500), endpoint: "a", policy: gateway, endpointCount: 1, now: 0))
        #expect(!record(&tracker, .status(503), endpoint: "a", policy: gateway, endpointCount: 1, now: 0))
        #expect(record(&tracker, .status(504), endpoint: "a", policy: gateway, endpointCount: 1, now: 0))
        let split = OutlierPolicy(consecutive5xxErrors: 0, consecutiveLocalOriginFailures: 2, splitLocalOrigin: true, maxEjectionPercent: 100)
        var local = OutlierTracker()
        #expect(!record(&local, .localFailure, endpoint: "a", policy: split, endpointCount: 1, now: 0))
        #expect(!record(&local, .status(503), endpoint: "a", policy: split, endpointCount: 1, now: 0), "an answer means the connection worked: the local count restarts")
        #expect(!record(&local, .localFailure, endpoint: "a", policy: split, endpointCount: 1, now: 0))
        #expect(record(&local, .localFailure, endpoint: "a", policy: split, endpointCount: 1, now: 0))
    }

    @Test("maxEjectionPercent caps ejections (one is always allowed); below minHealthPercent every endpoint is used (panic)")
    func ejectionLimits() {
        let policy = OutlierPolicy(consecutive5xxErrors: 1, maxEjectionPercent: 30, minHealthPercent: 60)
        var tracker = OutlierTracker()
        let endpoints = ["a", "b", "c", "d"].map { endpoint($0) }
        #expect(record(&tracker, .status(500), endpoint: "a:9080", policy: policy, endpointCount: 4, now: 0))
        #expect(!record(&tracker, .status(500), endpoint: "b:9080", policy: policy, endpointCount: 4, now: 0), "2 of 4 is past 30 %")
        #expect(tracker.available(endpoints, policy: policy, now: 1).map(\.address) == ["b", "c", "d"])
        var strict = policy
        strict.minHealthPercent = 80
        #expect(tracker.available(endpoints, policy: strict, now: 1).count == 4, "75 % healthy is below 80 %: panic")
    }

    @Test("priority load: the nearest level takes what its health allows (× 1.4), the rest spills over")
    func priorityLoad() {
        #expect(PriorityLoad.loads(health: [100, 100]) == [100, 0])
        #expect(PriorityLoad.loads(health: [70, 100]) == [70, 30], "one of two healthy: 50 % × 1.4")
        #expect(PriorityLoad.loads(health: [0, 100]) == [0, 100])
        #expect(PriorityLoad.loads(health: [20, 30]) == [40, 60], "less than 100 in all: spread in proportion")
        let endpoints = [endpoint("near-1"), endpoint("near-2"), endpoint("far", priority: 1)]
        let ejected: Set<String> = ["near-1"]
        var far = 0
        for step in 0..<100 {
            let chosen = PriorityLoad.choose(endpoints, isHealthy: { !ejected.contains($0.address) }, roll: Double(step) / 100)
            if chosen.map(\.address) == ["far"] { far += 1 } else { #expect(chosen.map(\.address) == ["near-2"]) }
        }
        #expect(far == 30)
        #expect(PriorityLoad.choose(endpoints, isHealthy: { _ in false }, roll: 0.5).isEmpty)
    }

    @Test("consistent hash: a key always maps to the same endpoint; removing one endpoint moves only its keys", arguments: [
        HashPolicy.Table.ring(minimumSize: 1024), .maglev(size: 4099),
    ])
    func consistentHash(_ table: HashPolicy.Table) throws {
        let endpoints = (1...5).map { endpoint("10.0.0.\($0)") }
        let full = ConsistentHashTable(endpoints: endpoints, table: table)
        let keys = (0..<2000).map { "user-\($0)" }
        let before = keys.map { endpoints[full.lookup(StableHash.hash($0)) ?? 0].address }
        #expect(before == keys.map { endpoints[ConsistentHashTable(endpoints: endpoints, table: table).lookup(StableHash.hash($0)) ?? 0].address })
        let counts = Dictionary(grouping: before, by: { $0 }).mapValues(\.count)
        #expect(counts.count == 5 && counts.values.allSatisfy { $0 > 250 }, "\(counts)")
        let remaining = Array(endpoints.dropLast())
        let shrunk = ConsistentHashTable(endpoints: remaining, table: table)
        let after = keys.map { remaining[shrunk.lookup(StableHash.hash($0)) ?? 0].address }
        let moved = zip(before, after).filter { $0 != $1 && $0 != "10.0.0.5" }.count
        // Maglev moves almost none; a ring rescales its points per endpoint (as Envoy's does) and moves a few.
        #expect(Double(moved) < Double(keys.count) * 0.15, "\(moved) keys moved that did not have to (mod-N hashing would move ~80 %)")
    }

    @Test("warmup: a new endpoint starts at the minimum share and grows to its full weight over the window")
    func warmup() {
        let policy = WarmupPolicy(durationMs: 10_000, minimumPercent: 10, aggression: 1)
        #expect(WarmupWeight.factor(ageMs: 0, policy: policy) == 0.1)
        #expect(abs(WarmupWeight.factor(ageMs: 5000, policy: policy) - 0.5) < 1e-9)
        #expect(WarmupWeight.factor(ageMs: 10_000, policy: policy) == 1)
        let aggressive = WarmupPolicy(durationMs: 10_000, minimumPercent: 10, aggression: 2)
        #expect(abs(WarmupWeight.factor(ageMs: 2500, policy: aggressive) - 0.5) < 1e-9, "(0.25)^(1/2)")
    }

    @Test("the hash key comes from the header, cookie, query parameter or source address")
    func hashKeys() {
        let request = RequestAttributes(authority: "reviews:9080", path: "/r?user=ann&x=1", headers: [("X-User", "bob"), ("Cookie", "a=1; session=xyz; q=\"quoted\"")])
        #expect(HashPolicy.Key.header("x-user").value(in: request, sourceAddress: nil) == "bob")
        #expect(HashPolicy.Key.cookie(name: "session", path: nil, ttlMs: nil).value(in: request, sourceAddress: nil) == "xyz")
        #expect(HashPolicy.Key.cookie(name: "q", path: nil, ttlMs: nil).value(in: request, sourceAddress: nil) == "quoted")
        #expect(HashPolicy.Key.queryParameter("user").value(in: request, sourceAddress: nil) == "ann")
        #expect(HashPolicy.Key.sourceIP.value(in: request, sourceAddress: "127.0.0.9") == "127.0.0.9")
        #expect(HashPolicy.Key.header("missing").value(in: request, sourceAddress: nil) == nil)
    }
}
