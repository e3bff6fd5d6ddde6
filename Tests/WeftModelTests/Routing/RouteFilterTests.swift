import Testing
import WeftModel

@Suite("route filters")
struct RouteFilterTests {
    @Test("uri rewrite replaces the matched prefix (the whole path for exact and regex matches); the query stays", arguments: [
        (StringMatcher(.prefix, "/old"), "/old/page?x=1", "/new", "/new/page?x=1"),
        (StringMatcher(.prefix, "/old/"), "/old/page", "/", "/page"),
        (StringMatcher(.exact, "/login"), "/login?next=/", "/auth/login", "/auth/login?next=/"),
        (StringMatcher(.regex, "/v[0-9]+/.*"), "/v1/items", "/items", "/items"),
    ])
    func prefixRewrite(_ matched: StringMatcher, _ path: String, _ uri: String, _ expected: String) {
        let rewrite = RoutePolicy.Rewrite(uriPrefix: uri)
        #expect(rewrite.path(RequestAttributes(authority: "a", path: path), matchedURI: matched) == expected)
    }

    @Test("a route without a uri match matched the prefix \"/\" (Envoy's default route)")
    func defaultRoutePrefix() {
        #expect(RoutePolicy.Rewrite(uriPrefix: "/v2/").path(RequestAttributes(authority: "a", path: "/items"), matchedURI: nil) == "/v2/items")
    }

    @Test("uriRegexRewrite replaces every match, \\1 naming a group")
    func regexRewrite() {
        let rewrite = RoutePolicy.Rewrite(regexMatch: "^/service/([^/]+)(/.*)$", regexReplacement: "\\2/instance/\\1")
        #expect(rewrite.path(RequestAttributes(authority: "a", path: "/service/foo/v1/api?q=1"), matchedURI: nil) == "/v1/api/instance/foo?q=1")
        let everyMatch = RoutePolicy.Rewrite(regexMatch: "a", regexReplacement: "b")
        #expect(everyMatch.path(RequestAttributes(authority: "a", path: "/banana"), matchedURI: nil) == "/bbnbnb")
        #expect(RoutePolicy.Rewrite(authority: "other").path(RequestAttributes(authority: "a", path: "/x"), matchedURI: nil) == nil)
    }

    @Test("CORS: an allowed origin's preflight is answered with the policy; others pass or are answered bare; actual requests get response headers")
    func cors() {
        let policy = RoutePolicy.CORS(allowOrigins: [StringMatcher(.exact, "https://example.com"), StringMatcher(.regex, "https://.*\\.test")],
                                      allowMethods: ["POST", "GET"], allowHeaders: ["X-Foo"], exposeHeaders: ["X-Bar"], maxAgeSeconds: 86400, allowCredentials: true)
        func request(_ method: String, origin: String?, preflight: Bool = false) -> RequestAttributes {
            var headers: [(String, String)] = []
            if let origin { headers.append(("Origin", origin)) }
            if preflight { headers.append(("Access-Control-Request-Method", "POST")) }
            return RequestAttributes(authority: "api", path: "/", method: method, headers: headers)
        }
        #expect(CORSDecision.decide(policy, request("OPTIONS", origin: "https://example.com", preflight: true)) == .preflight([
            HeaderField(name: "access-control-allow-origin", value: "https://example.com"), HeaderField(name: "access-control-allow-credentials", value: "true"),
            HeaderField(name: "access-control-allow-methods", value: "POST,GET"), HeaderField(name: "access-control-allow-headers", value: "X-Foo"),
            HeaderField(name: "access-control-max-age", value: "86400"),
        ]))
        #expect(CORSDecision.decide(policy, request("GET", origin: "https://a.test")) == .response([
            HeaderField(name: "access-control-allow-origin", value: "https://a.test"), HeaderField(name: "access-control-allow-credentials", value: "true"),
            HeaderField(name: "access-control-expose-headers", value: "X-Bar"),
        ]))
        #expect(CORSDecision.decide(policy, request("OPTIONS", origin: "https://evil.example", preflight: true)) == .none, "FORWARD: the upstream decides")
        var ignoring = policy
        ignoring.forwardUnmatchedPreflights = false
        #expect(CORSDecision.decide(ignoring, request("OPTIONS", origin: "https://evil.example", preflight: true)) == .ignoredPreflight)
        #expect(CORSDecision.decide(policy, request("GET", origin: nil)) == .none)
        #expect(CORSDecision.decide(policy, request("OPTIONS", origin: "https://example.com")) == .response([
            HeaderField(name: "access-control-allow-origin", value: "https://example.com"), HeaderField(name: "access-control-allow-credentials", value: "true"),
            HeaderField(name: "access-control-expose-headers", value: "X-Bar"),
        ]), "OPTIONS without Access-Control-Request-Method is not a preflight")
        let any = RoutePolicy.CORS(allowOrigins: [StringMatcher(.exact, "*")])
        #expect(CORSDecision.decide(any, request("GET", origin: "https://x.y")) == .response([HeaderField(name: "access-control-allow-origin", value: "https://x.y")]))
    }
}
