import Foundation
import Testing

/// VirtualService rewrites, redirects, direct responses, header edits, CORS and gRPC retry
/// conditions on the data path, end to end (echo app behind a client sidecar).
@Suite("route rewrites and filters end to end")
struct RouteRewriteTests {
    static func echoed(_ body: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]) ?? [:]
    }

    static func header(_ response: (headers: [String], body: String), _ name: String) -> String? {
        response.headers.first { $0.lowercased().hasPrefix(name.lowercased() + ":") }.map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces) }
    }

    @Test("rewrite uri / uriRegexRewrite / authority, redirect with port and query, directResponse, header set/add/remove both ways, CORS preflight and response headers, gRPC retryOn")
    func rewritesAndFilters() throws {
        let (mesh, client) = try RoutePolicyTests.reviewsBehind("""
          - match: [{uri: {prefix: /old/}}]
            rewrite: {uri: /new/, authority: reviews-internal}
            route: [{destination: {host: reviews}}]
          - match: [{uri: {prefix: /service/}}]
            rewrite: {uriRegexRewrite: {match: "^/service/([^/]+)(/.*)$", rewrite: "\\\\2/instance/\\\\1"}}
            route: [{destination: {host: reviews}}]
          - match: [{uri: {exact: /moved}}]
            redirect: {uri: /elsewhere, authority: example.com, port: 8443, scheme: https, redirectCode: 308}
          - match: [{uri: {exact: /teapot}}]
            directResponse: {status: 418, body: {string: "short and stout"}}
          - match: [{uri: {prefix: /headers}}]
            headers:
              request: {set: {x-set: route}, add: {x-added: one}, remove: [x-drop-me]}
              response: {set: {x-served-by: weft}, remove: [x-upstream-secret]}
            route:
            - destination: {host: reviews}
              headers: {request: {add: {x-destination: v1}}}
          - match: [{uri: {prefix: /api}}]
            corsPolicy:
              allowOrigins: [{exact: "https://example.com"}]
              allowMethods: [GET, POST]
              allowHeaders: [x-custom]
              exposeHeaders: [x-served]
              maxAge: 24h
              allowCredentials: true
            route: [{destination: {host: reviews}}]
          - match: [{uri: {prefix: /grpc-status/}}]
            retries: {attempts: 2, retryOn: unavailable}
            route: [{destination: {host: reviews}}]
        """)
        defer { mesh.stopWorkloads() }
        let curl = { (path: String, headers: [String]) in try TrafficPolicyTests.curlWithHeaders(client, "http://reviews:9080" + path, headers: headers) }

        let rewritten = Self.echoed(try curl("/old/page?x=1", []).body)
        #expect(rewritten["path"] as? String == "/new/page?x=1")
        #expect((rewritten["headers"] as? [String: String])?["host"] == "reviews-internal")
        #expect(Self.echoed(try curl("/service/foo/v1/api", []).body)["path"] as? String == "/v1/api/instance/foo")

        let moved = try curl("/moved?keep=1", [])
        #expect(moved.headers.first?.contains("308") == true, "\(moved.headers)")
        #expect(Self.header(moved, "location") == "https://example.com:8443/elsewhere?keep=1")

        let teapot = try curl("/teapot", [])
        #expect(teapot.headers.first?.contains("418") == true && teapot.body == "short and stout", "\(teapot)")

        let edited = try curl("/headers", ["x-set: client", "x-drop-me: 1"])
        let arrived = Self.echoed(edited.body)["headers"] as? [String: String] ?? [:]
        #expect(arrived["x-set"] == "route" && arrived["x-added"] == "one" && arrived["x-drop-me"] == nil && arrived["x-destination"] == "v1", "\(arrived)")
        #expect(Self.header(edited, "x-served-by") == "weft" && Self.header(edited, "x-upstream-secret") == nil, "\(edited.headers)")

        let options = try TrafficPolicyTests.curlWithHeaders(client, "http://reviews:9080/api/items",
                                                            headers: ["Origin: https://example.com", "Access-Control-Request-Method: POST"], method: "OPTIONS")
        #expect(options.headers.first?.contains("200") == true, "\(options.headers)")
        #expect(Self.header(options, "access-control-allow-origin") == "https://example.com")
        #expect(Self.header(options, "access-control-allow-methods") == "GET,POST")
        #expect(Self.header(options, "access-control-allow-headers") == "x-custom")
        #expect(Self.header(options, "access-control-max-age") == "86400")
        #expect(Self.header(options, "access-control-allow-credentials") == "true")
        #expect(options.body.isEmpty, "answered by the proxy, not the app")
        let actual = try curl("/api/items", ["Origin: https://example.com"])
        #expect(Self.header(actual, "access-control-allow-origin") == "https://example.com" && Self.header(actual, "access-control-expose-headers") == "x-served")
        #expect(Self.echoed(actual.body)["path"] as? String == "/api/items")
        let foreign = try curl("/api/items", ["Origin: https://evil.example"])
        #expect(Self.header(foreign, "access-control-allow-origin") == nil)

        let unavailable = try curl("/grpc-status/14", [])
        #expect(Self.header(unavailable, "grpc-status") == "14")
        let notRetried = try curl("/grpc-status/5", [])
        #expect(Self.header(notRetried, "grpc-status") == "5")
        let stats = String(decoding: try Data(contentsOf: URL(string: "http://\(client):15000/stats")!), as: UTF8.self)
        #expect(stats.contains("cluster.outbound|9080||reviews.default.svc.cluster.local.upstream_rq_retry: 2\n"), "grpc-status 14 retried twice, 5 (not found) not at all: \(stats)")
    }

    @Test("HTTP/1.1 pipelining: requests sent in one write are each answered, in order, however fast each upstream answer comes")
    func pipelining() throws {
        let (mesh, client) = try RoutePolicyTests.reviewsBehind("""
          - route: [{destination: {host: reviews}}]
        """)
        defer { mesh.stopWorkloads() }
        let output = try WeftProcess.runTool("python3", [MeshHarness.fixtures.appendingPathComponent("pipelined_client.py").path, "\(client):15001", "http://reviews:9080", "3"])
        #expect(output.split(separator: "\n") == ["200 /delay/0.3/n0", "200 /delay/0.2/n1", "200 /delay/0.1/n2"], "\(output)")
        #expect(try mesh.curl(through: client, "http://reviews:9080/after").0 == 200, "the connection pool and the proxy are fine afterwards")
    }
}
