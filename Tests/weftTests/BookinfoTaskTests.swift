import Foundation
import Testing

/// istio.io's Bookinfo routing tasks through `weft demo`, with the corpus's own task YAML, driven
/// through the ingress gateway by a browser-like client with a cookie session.
@Suite("Bookinfo tasks through weft demo", .serialized,
       .enabled(if: BookinfoDemo.corpusPresent, "../shared/istio-corpus is absent: the Bookinfo task YAML comes from it"))
struct BookinfoTaskTests {
    static let networking = "samples/bookinfo/networking/"

    @Test("0 baseline: the page is the Simple Bookstore App and round-robins over reviews v1, v2 and v3 (no, black and red stars); Ctrl-C stops every process")
    func baseline() throws {
        let demo = try BookinfoDemo()
        defer { _ = demo.interrupt() }
        let visits = try demo.visit(30)
        #expect(visits.titles == ["Simple Bookstore App"])
        #expect(visits.failures.isEmpty, "\(visits.failures)")
        #expect(visits.stars["none", default: 0] >= 5 && visits.stars["black", default: 0] >= 5 && visits.stars["red", default: 0] >= 5, "\(visits.stars)")
        #expect(Set(visits.servedBy.keys) == ["reviews-v1", "reviews-v2", "reviews-v3"], "\(visits.servedBy)")
        #expect(try BookinfoDemo.run("/usr/bin/env", ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--noproxy", "*", demo.gateway + "/"]) == "404",
                "paths outside the bookinfo VirtualService get 404 from the gateway")

        // HTTPS too: the CA the demo printed verifies the gateway's certificate for localhost.
        let output = try String(contentsOf: demo.output, encoding: .utf8)
        let caFile = output.components(separatedBy: "curl --cacert ").dropFirst().first?.split(separator: " ").first.map(String.init) ?? ""
        let https = try BookinfoDemo.run("/usr/bin/env", ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--noproxy", "*", "--cacert", caFile,
                                                         "https://localhost:\(demo.httpsPort)/productpage"])
        #expect(https == "200", "the productpage over HTTPS with the printed CA (\(caFile)): \(https)")
        let pids = try BookinfoDemo.run("/usr/bin/env", ["pgrep", "-f", "--", "--port \(demo.gatewayPort)|\(demo.api)"])
        #expect(demo.interrupt() == 0)
        let left = try BookinfoDemo.run("/usr/bin/env", ["pgrep", "-f", "--", "\(demo.api)"])
        #expect(left.isEmpty, "processes left after Ctrl-C: \(left) (were \(pids))")
        let listening = try BookinfoDemo.run("/usr/bin/env", ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--noproxy", "*", demo.gateway + "/productpage"])
        #expect(listening == "000", "the gateway port is closed after Ctrl-C")
    }

    @Test("1 request routing: all-v1 never shows stars; with reviews-test-v2 jason sees black stars and everyone else none")
    func requestRouting() throws {
        let demo = try BookinfoDemo()
        defer { _ = demo.interrupt() }
        try demo.apply(corpus: Self.networking + "virtual-service-all-v1.yaml")
        let allV1 = try demo.visit(20)
        #expect(allV1.stars == ["none": 20], "\(allV1.stars)")
        #expect(allV1.servedBy == ["reviews-v1": 20])

        try demo.apply(corpus: Self.networking + "virtual-service-reviews-test-v2.yaml")
        let jason = try demo.visit(15, login: "jason")
        #expect(jason.signedInAs == "jason")
        #expect(jason.stars == ["black": 15], "\(jason.stars)")
        #expect(jason.servedBy == ["reviews-v2": 15])
        let anonymous = try demo.visit(15)
        #expect(anonymous.stars == ["none": 15], "\(anonymous.stars)")
        let someoneElse = try demo.visit(10, login: "bob")
        #expect(someoneElse.signedInAs == "bob")
        #expect(someoneElse.stars == ["none": 10], "\(someoneElse.stars)")
    }

    @Test("3 traffic shifting: 50-v3 gives red stars about half the time; reviews-v3 always red")
    func trafficShifting() throws {
        let demo = try BookinfoDemo()
        defer { _ = demo.interrupt() }
        try demo.apply(corpus: Self.networking + "destination-rule-all.yaml", changesRoutes: false)
        try demo.apply(corpus: Self.networking + "virtual-service-all-v1.yaml")
        let allV1 = try demo.visit(10)
        #expect(allV1.stars == ["none": 10], "\(allV1)")

        try demo.apply(corpus: Self.networking + "virtual-service-reviews-50-v3.yaml")
        let split = try demo.visit(200)
        let red = split.stars["red", default: 0]
        // 200 draws at p = 0.5: the standard deviation is about 7, so 70...130 is more than 4 of them.
        #expect((70...130).contains(red), "red stars on \(red) of 200 pages: \(split.stars)")
        #expect(split.stars["none", default: 0] + red == 200, "only v1 (no stars) and v3 (red): \(split.stars)")

        try demo.apply(corpus: Self.networking + "virtual-service-reviews-v3.yaml")
        // Every page is reviews-v3's. Its stars are red unless its 2.5 s call to ratings failed, which
        // the page says: on a loaded 2-core CI machine a timeout, not routing's doing (one CI run saw a
        // page here without red stars and did not record why; the message now says all of it).
        let v3 = try demo.visit(20)
        #expect(v3.servedBy == ["reviews-v3": 20], "\(v3)")
        #expect(v3.failures.isEmpty && v3.stars["red", default: 0] + v3.ratingsErrors == 20 && v3.ratingsErrors <= 2, "\(v3)")
    }

    @Test("mTLS on by default: under mesh-wide STRICT every hop (gateway → productpage → details, reviews → ratings) is mutual TLS and the page works; destination-rule-all-mtls.yaml works unchanged")
    func mutualTLSEverywhere() throws {
        let demo = try BookinfoDemo()
        defer { _ = demo.interrupt() }
        try demo.apply(corpus: "docs-tasks/mtls-migration/02-peerauthentication-mesh-strict.yaml", changesRoutes: false)
        let proxies = try BookinfoDemo.run("/usr/bin/env", ["curl", "-s", "-m", "5", "--noproxy", "*", "\(demo.api)/api/v1/proxies"])
        let list = (try JSONSerialization.jsonObject(with: Data(proxies.utf8)) as? [String: Any])?["proxies"] as? [[String: Any]] ?? []
        let productpage = try #require(list.first { ($0["id"] as? String)?.hasPrefix("productpage-v1") == true }?["podIP"] as? String)
        // STRICT is in force once a plaintext client is reset (curl exit 56 prints 000).
        let deadline = Date().addingTimeInterval(20)
        var plaintext = ""
        while Date() < deadline {
            plaintext = try BookinfoDemo.run("/usr/bin/env", ["sh", "-c", "curl -s -m 5 --noproxy '*' -o /dev/null -w '%{http_code}' http://\(productpage):9080/productpage; echo \" $?\""]).trimmingCharacters(in: .whitespacesAndNewlines)
            if plaintext == "000 56" { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(plaintext == "000 56", "a plaintext client is refused by productpage's sidecar: \(plaintext)")
        let strict = try demo.visit(20)
        #expect(strict.failures.isEmpty && strict.reviewsErrors == 0 && strict.ratingsErrors == 0, "\(strict)")
        #expect(Set(strict.stars.keys) == ["none", "black", "red"], "every reviews version answers over mutual TLS: \(strict.stars)")

        try demo.apply(corpus: Self.networking + "destination-rule-all-mtls.yaml", changesRoutes: false)
        try demo.apply(corpus: Self.networking + "virtual-service-reviews-v3.yaml")
        let subsets = try demo.visit(10)
        #expect(subsets.stars == ["red": 10] && subsets.failures.isEmpty, "ISTIO_MUTUAL subsets route and answer: \(subsets)")
    }

    @Test("8 authz-http: deny-all gives RBAC: access denied; productpage-viewer renders with details and reviews errors; details and reviews viewers leave ratings unavailable; ratings-viewer gives stars")
    func authorizationHTTP() throws {
        let demo = try BookinfoDemo()
        defer { _ = demo.interrupt() }
        let tasks = "docs-tasks/authz-http/"
        /// Waits (bounded) until a page visit shows what the step documents (policies reach sidecars by push).
        func waitFor(_ what: String, _ condition: (BookinfoDemo.Visits) -> Bool) throws -> BookinfoDemo.Visits {
            let deadline = Date().addingTimeInterval(20)
            var last = try demo.visit(1)
            while !condition(last) && Date() < deadline {
                Thread.sleep(forTimeInterval: 0.1)
                last = try demo.visit(1)
            }
            #expect(condition(last), "\(what): \(last)")
            return last
        }
        try demo.apply(corpus: tasks + "01-deny-all.yaml", changesRoutes: false)
        _ = try waitFor("deny-all answers 403") { $0.failures["403"] == 1 }
        let denied = try BookinfoDemo.run("/usr/bin/env", ["curl", "-s", "--noproxy", "*", "-w", " %{http_code}", demo.gateway + "/productpage"])
        #expect(denied == "RBAC: access denied 403", "\(denied)")

        try demo.apply(corpus: tasks + "02-productpage-viewer.yaml", changesRoutes: false)
        _ = try waitFor("productpage-viewer renders the page") { $0.failures.isEmpty && $0.titles == ["Simple Bookstore App"] }
        let errors = try demo.visit(5)
        #expect(errors.failures.isEmpty && errors.reviewsErrors == 5, "Error fetching product reviews: \(errors)")
        let page = try BookinfoDemo.run("/usr/bin/env", ["curl", "-s", "--noproxy", "*", demo.gateway + "/productpage"])
        #expect(page.contains("Error fetching product details") && page.contains("Error fetching product reviews"), "details and reviews still deny productpage")

        try demo.apply(corpus: tasks + "03-details-viewer.yaml", changesRoutes: false)
        try demo.apply(corpus: tasks + "04-reviews-viewer.yaml", changesRoutes: false)
        _ = try waitFor("details and reviews render") { $0.failures.isEmpty && $0.reviewsErrors == 0 && !$0.servedBy.isEmpty }
        let reviews = try demo.visit(15)
        #expect(reviews.reviewsErrors == 0 && reviews.failures.isEmpty, "\(reviews)")
        #expect(reviews.ratingsErrors == (reviews.servedBy["reviews-v2", default: 0] + reviews.servedBy["reviews-v3", default: 0]),
                "v2 and v3 say Ratings service is currently unavailable, v1 shows no stars: \(reviews)")
        #expect(Set(reviews.stars.keys).isSubset(of: ["none"]), "no stars yet: \(reviews.stars)")

        try demo.apply(corpus: tasks + "05-ratings-viewer.yaml", changesRoutes: false)
        _ = try waitFor("ratings-viewer: stars") { $0.ratingsErrors == 0 && $0.failures.isEmpty && $0.reviewsErrors == 0 && ($0.stars["black", default: 0] + $0.stars["red", default: 0]) > 0 }
        let everything = try demo.visit(20)
        #expect(everything.ratingsErrors == 0 && everything.failures.isEmpty && everything.reviewsErrors == 0, "\(everything)")
        #expect(everything.stars["black", default: 0] > 0 && everything.stars["red", default: 0] > 0, "black and red stars appear: \(everything.stars)")
    }

    @Test("a policy that selects the ingress gateway is enforced there: DENY by path gives 403 at the edge, other paths pass; an ALLOW by ipBlocks that excludes the client denies all")
    func gatewayAuthorization() throws {
        let demo = try BookinfoDemo()
        defer { _ = demo.interrupt() }
        func status(_ path: String) throws -> String {
            try BookinfoDemo.run("/usr/bin/env", ["curl", "-s", "--noproxy", "*", "-o", "/dev/null", "-w", "%{http_code}", demo.gateway + path])
        }
        func apply(_ yaml: String) throws {
            #expect(try WeftProcess.run(["apply", "-f", "-", "--control-plane", demo.api], stdin: yaml).status == 0)
        }
        func waitFor(_ path: String, _ expected: String) throws {
            let deadline = Date().addingTimeInterval(20)
            var last = try status(path)
            while last != expected && Date() < deadline {
                Thread.sleep(forTimeInterval: 0.1)
                last = try status(path)
            }
            #expect(last == expected, "\(path): \(last)")
        }
        try apply("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: no-products-api, namespace: istio-system}
        spec:
          selector: {matchLabels: {istio: ingressgateway}}
          action: DENY
          rules: [{to: [{operation: {paths: ["/api/v1/products*"]}}]}]
        """)
        try waitFor("/api/v1/products", "403")
        #expect(try status("/productpage") == "200")
        try apply("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: only-far-away, namespace: istio-system}
        spec:
          selector: {matchLabels: {istio: ingressgateway}}
          rules: [{from: [{source: {ipBlocks: ["10.0.0.0/8"]}}]}]
        """)
        try waitFor("/productpage", "403")
    }
}
