import Foundation
import Testing

/// DestinationRule traffic policies on the data path, end to end: outlier ejection and return,
/// consistent-hash stickiness, locality failover.
@Suite("traffic policies end to end")
struct TrafficPolicyTests {
    static func destinationRule(_ trafficPolicy: String) -> String {
        """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews}
        spec:
          host: reviews
          trafficPolicy:
        \(trafficPolicy.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
        """
    }

    /// A VirtualService for reviews whose `http:` list is `routes`.
    static func virtualService(_ routes: String) -> String {
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews}
        spec:
          hosts: [reviews]
          http:

        """ + routes.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n")
    }

    /// The reviews Service with `replicas` (name → extra labels and environment), a DestinationRule and
    /// an optional VirtualService; a client sidecar with `clientLabels` once it sees every replica.
    static func mesh(replicas: [(String, String, [String: String])], rule: String, virtualService: String? = nil, clientLabels: String = "") throws -> (MeshHarness, String) {
        let mesh = try MeshHarness()
        do {
            let documents = [MeshFixtures.reviewsService, rule] + (virtualService.map { [$0] } ?? [])
            #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: documents.joined(separator: "\n---\n")).status == 0)
            for (name, labels, environment) in replicas {
                try mesh.startEcho(name: name, labels: "app=reviews" + (labels.isEmpty ? "" : "," + labels), environment: environment)
            }
            let client = try mesh.startClient(labels: clientLabels)
            try mesh.waitForEndpoints(proxy: "client", count: replicas.count)
            // Sent is not yet installed: every proxy acknowledges the version with all the endpoints first
            // (under load the first requests otherwise met a client that knew one replica, the failing one).
            try mesh.waitForProxies(replicas.count + 1)
            return (mesh, client)
        } catch {
            mesh.stopWorkloads()
            throw error
        }
    }

    /// The proxy id of the sidecar at `podIP`.
    static func proxyID(_ mesh: MeshHarness, podIP: String) throws -> String {
        let data = try Data(contentsOf: URL(string: mesh.controlPlane.url + "/api/v1/proxies")!)
        let proxies = (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["proxies"] as? [[String: Any]] ?? []
        return try #require(proxies.first { $0["podIP"] as? String == podIP }?["id"] as? String)
    }

    /// `weft proxy-config endpoints` rows for the reviews cluster: endpoint workload → (STATUS, OUTLIER CHECK).
    static func endpointHealth(_ mesh: MeshHarness, proxy: String) throws -> [String: (String, String)] {
        let output = try mesh.controlPlane.weft(["proxy-config", "endpoints", proxy]).stdout
        var result: [String: (String, String)] = [:]
        for line in output.split(separator: "\n") where line.contains("outbound|9080||reviews") {
            let columns = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            if columns.count >= 5 { result[columns[4]] = (columns[1], columns[2]) }
        }
        return result
    }

    /// Waits (bounded) until `condition` holds.
    static func wait(_ what: String, timeout: TimeInterval = 15, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw ControlPlaneProcess.StartFailure(description: "\(what) not within \(timeout) s")
    }

    static func servedBy(_ body: String) -> String? {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?["name"] as? String
    }

    @Test("outlier detection: a replica answering 503 is ejected (UNHEALTHY / FAILED in proxy-config endpoints), gets no traffic, and returns after baseEjectionTime")
    func outlierEjectionAndReturn() throws {
        let failing = FailSwitch()
        failing.on()
        defer { failing.off() }
        let (mesh, client) = try Self.mesh(
            replicas: [("reviews-good", "version=v1", [:]), ("reviews-bad", "version=v2", failing.environment)],
            rule: Self.destinationRule("""
            loadBalancer: {simple: ROUND_ROBIN}
            outlierDetection: {consecutive5xxErrors: 2, interval: 1s, baseEjectionTime: 3s, maxEjectionPercent: 100}
            """),
            virtualService: Self.virtualService("""
            - retries: {attempts: 0}
              route: [{destination: {host: reviews}}]
            """))
        defer { mesh.stopWorkloads() }
        let proxy = try Self.proxyID(mesh, podIP: client)

        // Round robin alternates; the bad replica's second 503 ejects it.
        var statuses: [Int] = []
        for _ in 0..<4 { statuses.append(try mesh.curl(through: client, "http://reviews:9080/").0) }
        #expect(statuses.filter { $0 == 503 }.count == 2, "\(statuses)")
        // While ejected (3 s), every request goes to the good replica.
        var served: [String] = []
        for _ in 0..<6 {
            let (status, body) = try mesh.curl(through: client, "http://reviews:9080/")
            #expect(status == 200)
            served.append(Self.servedBy(body) ?? "?")
        }
        #expect(served.allSatisfy { $0 == "reviews-good" }, "\(served)")
        let health = try Self.endpointHealth(mesh, proxy: proxy)
        #expect(health["reviews-bad"]?.0 == "UNHEALTHY" && health["reviews-bad"]?.1 == "FAILED", "\(health)")
        #expect(health["reviews-good"]?.0 == "HEALTHY" && health["reviews-good"]?.1 == "OK", "\(health)")
        let stats = String(decoding: try Data(contentsOf: URL(string: "http://\(client):15000/stats")!), as: UTF8.self)
        #expect(stats.contains("cluster.outbound|9080||reviews.default.svc.cluster.local.outlier_detection.ejections_enforced_total: 1"), "\(stats)")

        // The replica recovers; after the ejection time it is HEALTHY again and serves its share.
        failing.off()
        try Self.wait("the ejected replica's return") { try Self.endpointHealth(mesh, proxy: proxy)["reviews-bad"]?.0 == "HEALTHY" }
        var names: Set<String> = []
        for _ in 0..<6 {
            let (status, body) = try mesh.curl(through: client, "http://reviews:9080/")
            #expect(status == 200)
            names.insert(Self.servedBy(body) ?? "?")
        }
        #expect(names == ["reviews-good", "reviews-bad"])
    }

    @Test("consistent hash: each x-user always reaches the same replica; the cookie policy sets a cookie whose holder sticks")
    func consistentHashStickiness() throws {
        let (mesh, client) = try Self.mesh(
            replicas: [("reviews-a", "version=v1", [:]), ("reviews-b", "version=v2", [:]), ("reviews-c", "version=v3", [:])],
            rule: """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              trafficPolicy:
                loadBalancer: {consistentHash: {httpHeaderName: x-user}}
              subsets:
              - name: sticky-cookie
                labels: {app: reviews}
                trafficPolicy:
                  loadBalancer: {consistentHash: {httpCookie: {name: weft-affinity, ttl: 60s}, maglev: {tableSize: 1021}}}
            """,
            virtualService: Self.virtualService("""
            - match: [{uri: {prefix: /cookie}}]
              route: [{destination: {host: reviews, subset: sticky-cookie}}]
            - route: [{destination: {host: reviews}}]
            """))
        defer { mesh.stopWorkloads() }

        var replicaOf: [String: String] = [:]
        for user in (0..<12).map({ "user-\($0)" }) {
            var seen: Set<String> = []
            for _ in 0..<5 {
                let (status, body) = try mesh.curl(through: client, "http://reviews:9080/", headers: ["x-user: \(user)"])
                #expect(status == 200)
                seen.insert(Self.servedBy(body) ?? "?")
            }
            #expect(seen.count == 1, "\(user) reached \(seen)")
            replicaOf[user] = seen.first
        }
        #expect(Set(replicaOf.values).count >= 2, "12 users spread over the replicas: \(replicaOf)")

        // No cookie: the proxy makes one; sending it back always reaches the same replica.
        let first = try Self.curlWithHeaders(client, "http://reviews:9080/cookie")
        let cookieHeader = try #require(first.headers.first { $0.lowercased().hasPrefix("set-cookie: weft-affinity=") }, "\(first.headers)")
        #expect(cookieHeader.contains("Max-Age=60") && cookieHeader.contains("HttpOnly"))
        let cookie = String(cookieHeader.dropFirst("set-cookie: ".count).split(separator: ";")[0])
        var seen: Set<String> = [Self.servedBy(first.body) ?? "?"]
        for _ in 0..<8 {
            let next = try Self.curlWithHeaders(client, "http://reviews:9080/cookie", headers: ["cookie: \(cookie)"])
            #expect(!next.headers.contains { $0.lowercased().hasPrefix("set-cookie") }, "a client with the cookie gets no new one")
            seen.insert(Self.servedBy(next.body) ?? "?")
        }
        #expect(seen.count == 1, "\(seen)")
    }

    @Test("locality failover: traffic stays in the caller's zone; when that replica is ejected it fails over to the next locality")
    func localityFailover() throws {
        let failing = FailSwitch()
        defer { failing.off() }
        let (mesh, client) = try Self.mesh(
            replicas: [
                ("reviews-near", "topology.kubernetes.io/region=us-east,topology.kubernetes.io/zone=us-east-1", failing.environment),
                ("reviews-region", "topology.kubernetes.io/region=us-east,topology.kubernetes.io/zone=us-east-2", [:]),
                ("reviews-far", "topology.kubernetes.io/region=eu-west,topology.kubernetes.io/zone=eu-west-1", [:]),
            ],
            rule: Self.destinationRule("""
            outlierDetection: {consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 60s, maxEjectionPercent: 100}
            """),
            clientLabels: "topology.kubernetes.io/region=us-east,topology.kubernetes.io/zone=us-east-1")
        defer { mesh.stopWorkloads() }

        var served: [String: Int] = [:]
        for _ in 0..<15 { served[Self.servedBy(try mesh.curl(through: client, "http://reviews:9080/").1) ?? "?", default: 0] += 1 }
        #expect(served == ["reviews-near": 15], "\(served)")

        // The near replica fails: Istio's default retry takes the request elsewhere, the replica is ejected,
        // and traffic moves to the same region's other zone, not across regions.
        failing.on()
        served = [:]
        for _ in 0..<15 {
            let (status, body) = try mesh.curl(through: client, "http://reviews:9080/")
            #expect(status == 200)
            served[Self.servedBy(body) ?? "?", default: 0] += 1
        }
        #expect(served == ["reviews-region": 15], "\(served)")
    }

    @Test("connection pool: http2MaxRequests overflows with 503 UO (counted), maxRetries caps retries in flight, idleTimeout closes idle upstream connections, tcpKeepalive is set on them")
    func connectionPool() throws {
        let (mesh, client) = try Self.mesh(
            replicas: [("reviews-v1", "version=v1", [:])],
            rule: """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              trafficPolicy:
                connectionPool:
                  tcp: {tcpKeepalive: {time: 45s, interval: 5s, probes: 3}}
                  http: {idleTimeout: 1s}
              subsets:
              - name: one-request
                labels: {app: reviews}
                trafficPolicy: {connectionPool: {http: {http2MaxRequests: 1}}}
              - name: one-retry
                labels: {app: reviews}
                trafficPolicy: {connectionPool: {http: {maxRetries: 1}}}
            """,
            virtualService: Self.virtualService("""
            - match: [{uri: {prefix: /requests}}]
              route: [{destination: {host: reviews, subset: one-request}}]
            - match: [{uri: {prefix: /status}}]
              retries: {attempts: 3, retryOn: 5xx}
              route: [{destination: {host: reviews, subset: one-retry}}]
            - route: [{destination: {host: reviews}}]
            """))
        defer { mesh.stopWorkloads() }

        // An upstream connection right after a request: pooled, with the keepalive timer of 45 s.
        #expect(try mesh.curl(through: client, "http://reviews:9080/").0 == 200)
        let sockets = try WeftProcess.runTool("ss", ["-tnoH", "state", "established", "( dport = :9080 )"])
        let upstream = sockets.split(separator: "\n").filter { $0.contains("\(client):") }
        #expect(upstream.contains { $0.contains("timer:(keepalive,4") }, "\(sockets)")
        // Idle for the cluster's idleTimeout, it is closed and counted.
        let statsURL = URL(string: "http://\(client):15000/stats")!
        try Self.wait("the idle upstream connection's close") {
            String(decoding: try Data(contentsOf: statsURL), as: UTF8.self).contains("cluster.outbound|9080||reviews.default.svc.cluster.local.upstream_cx_idle_timeout: 1")
        }

        func load(_ path: String, _ stat: String) throws -> (statuses: [String: Int], stats: [String]) {
            let result = try WeftProcess.run(["run", "--labels", "app=fortio", "--name", "fortio-load", "--", "python3",
                                              MeshHarness.fixtures.appendingPathComponent("concurrent_client.py").path,
                                              "http://reviews:9080" + path, "4", "8", stat], environment: mesh.environment)
            guard let line = result.stdout.split(separator: "\n").last,
                  let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw ControlPlaneProcess.StartFailure(description: "load client: \(result.status) \(result.stdout) \(result.stderr)")
            }
            return (object["statuses"] as? [String: Int] ?? [:], object["stats"] as? [String] ?? [])
        }
        // One request at a time to the subset: four callers of a slow path overflow.
        let requests = try load("/requests/delay/0.3", "one-request|reviews.default.svc.cluster.local.upstream_rq_pending_overflow")
        let overflowed = requests.statuses["503"] ?? 0
        #expect(overflowed > 0 && (requests.statuses["200"] ?? 0) > 0 && overflowed + (requests.statuses["200"] ?? 0) == 8, "\(requests)")
        #expect(requests.stats == ["cluster.outbound|9080|one-request|reviews.default.svc.cluster.local.upstream_rq_pending_overflow: \(overflowed)"], "\(requests)")
        // One retry at a time: four failing callers with overlapping retries find the retry budget spent.
        let retries = try load("/status/503/delay/0.2", "one-retry|reviews.default.svc.cluster.local.upstream_rq_retry")
        #expect(retries.statuses == ["503": 8], "\(retries)")
        func stat(_ name: String) -> Int {
            retries.stats.first { $0.contains(".\(name): ") }.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
        }
        #expect(stat("upstream_rq_retry_overflow") > 0 && stat("upstream_rq_retry") > 0, "some retries ran and some found the budget spent: \(retries)")
    }

    @Test("warmup: a replica that joins a running cluster starts with a small share; one there from the start is not warming")
    func warmup() throws {
        let (mesh, client) = try Self.mesh(replicas: [("reviews-old", "version=v1", [:])], rule: Self.destinationRule("loadBalancer: {simple: ROUND_ROBIN, warmup: {duration: 60s}}"))
        defer { mesh.stopWorkloads() }
        #expect(try mesh.curl(through: client, "http://reviews:9080/").0 == 200)
        try mesh.startEcho(name: "reviews-new", labels: "app=reviews,version=v2")
        try mesh.waitForEndpoints(proxy: "client", count: 2)
        var served: [String: Int] = [:]
        for _ in 0..<100 { served[Self.servedBy(try mesh.curl(through: client, "http://reviews:9080/").1) ?? "?", default: 0] += 1 }
        // At under a few seconds of a 60 s window the new replica weighs the minimum 10 %: about 9 in 100, not round robin's 50.
        #expect((1...30).contains(served["reviews-new", default: 0]) && served["reviews-old", default: 0] + served["reviews-new", default: 0] == 100, "\(served)")
    }

    @Test("a retry goes to an endpoint not tried yet (Istio's previous_hosts): with one of two replicas failing and RANDOM balancing, one retry nearly always succeeds")
    func retryAvoidsPreviousHost() throws {
        let failing = FailSwitch()
        failing.on()
        defer { failing.off() }
        let (mesh, client) = try Self.mesh(
            replicas: [("reviews-good", "version=v1", [:]), ("reviews-bad", "version=v2", failing.environment)],
            rule: Self.destinationRule("loadBalancer: {simple: RANDOM}"),
            virtualService: Self.virtualService("""
            - retries: {attempts: 1, retryOn: 5xx}
              route: [{destination: {host: reviews}}]
            """))
        defer { mesh.stopWorkloads() }
        var statuses: [Int: Int] = [:]
        for _ in 0..<80 { statuses[try mesh.curl(through: client, "http://reviews:9080/").0, default: 0] += 1 }
        // A request fails only when its first pick and all 5 reselections land on the failing replica
        // (1 in 64, as with Envoy): about 1 of 80. Were a retry as likely to land there again, 20 would fail.
        #expect(statuses[200, default: 0] >= 75 && statuses[200, default: 0] + statuses[503, default: 0] == 80, "\(statuses)")
    }

    /// curl through the client sidecar, keeping the response headers.
    static func curlWithHeaders(_ podIP: String, _ url: String, headers: [String] = [], method: String = "GET") throws -> (headers: [String], body: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["curl", "-s", "-m", "10", "-i", "-X", method, "-x", "http://\(podIP):15001"] + headers.flatMap { ["-H", $0] } + [url]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        return (parts[0].components(separatedBy: "\r\n"), parts.dropFirst().joined(separator: "\r\n\r\n"))
    }
}

/// A file whose presence makes the echo app answer every request with 503 (its FAIL_IF_EXISTS).
struct FailSwitch {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("weft-fail-\(UUID().uuidString)")
    var environment: [String: String] { ["FAIL_IF_EXISTS": url.path] }
    func on() { _ = FileManager.default.createFile(atPath: url.path, contents: Data()) }
    func off() { try? FileManager.default.removeItem(at: url) }
}
