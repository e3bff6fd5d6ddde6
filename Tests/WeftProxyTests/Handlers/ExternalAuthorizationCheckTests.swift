import NIOHTTP1
import Testing
import WeftModel
@testable import WeftProxy

/// The ext_authz check request and the reading of the authorizer's answer (the end-to-end test
/// runs them against a stand-in of Istio's sample).
@Suite("external authorization check")
struct ExternalAuthorizationCheckTests {
    static var authorizer: ExternalAuthorizer {
        var authorizer = ExternalAuthorizer(name: "ext", address: "ext-authz:8000")
        authorizer.pathPrefix = "/check"
        authorizer.includeRequestHeaders = ["x-ext-authz"]
        authorizer.headersToUpstreamOnAllow = ["x-user"]
        authorizer.headersToDownstreamOnAllow = ["x-trace"]
        authorizer.additionalHeaders = [.init(name: "x-ext-authz", value: "from-provider"), .init(name: "x-source", value: "weft")]
        return authorizer
    }

    @Test("the check: the method, the prefix and path, Host, Authorization and the headers let through, the provider's added headers over the request's, no body")
    func checkHead() {
        let head = ProxyRequestHead(method: .POST, uri: "/headers?a=1",
                                    headers: HeaderFields([("Host", "reviews:9080"), ("Authorization", "Bearer x"), ("X-Ext-Authz", "allow"), ("X-Other", "no"), ("Content-Length", "12")]))
        let check = ExternalAuthorization.checkHead(head, authority: "reviews:9080", authorizer: Self.authorizer)
        #expect(check.method == HTTPMethod.POST && check.uri == "/check/headers?a=1")
        #expect(check.headers["host"] == ["reviews:9080"] && check.headers["authorization"] == ["Bearer x"])
        #expect(check.headers["x-ext-authz"] == ["from-provider"] && check.headers["x-source"] == ["weft"], "\(check.headers)")
        #expect(check.headers["x-other"].isEmpty && check.headers["content-length"] == ["0"])
    }

    @Test("200 allows with the listed headers each way; another status denies with its body, every header but framing (no list), flag UAEX")
    func verdicts() {
        let answer: HTTPHeaders = ["x-user": "alice", "x-trace": "t1", "x-secret": "s", "content-length": "5", "connection": "close"]
        guard case .allowed(let allowance) = ExternalAuthorization.verdict(status: 200, headers: answer, body: "", authorizer: Self.authorizer) else {
            Issue.record("not allowed"); return
        }
        #expect(allowance.set.map { "\($0.0)=\($0.1)" } == ["x-user=alice"] && allowance.downstream.map { "\($0.0)=\($0.1)" } == ["x-trace=t1"])
        #expect(allowance.appended.isEmpty && allowance.removed.isEmpty)
        guard case .denied(let response) = ExternalAuthorization.verdict(status: 401, headers: answer, body: "nope", authorizer: Self.authorizer) else {
            Issue.record("not denied"); return
        }
        #expect(response.status == 401 && response.body == "nope" && response.flag == "UAEX")
        #expect(response.headers.map(\.0) == ["x-user", "x-trace", "x-secret"], "\(response.headers)")
        guard case .allowed = ExternalAuthorization.verdict(status: 204, headers: [:], body: "", authorizer: Self.authorizer) else { return }
        Issue.record("only a 200 allows, as Envoy's HTTP service reads it")
    }
}
