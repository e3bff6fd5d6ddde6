import Foundation
import Testing

/// The istio.io JWT tasks end to end (corpus README, task 9): real control plane, sidecars, an
/// ingress router, the real httpbin, a JWKS served over HTTP, curl with Istio's demo tokens.
@Suite("end-user authentication: RequestAuthentication and JWT policies", .serialized,
       .enabled(if: BookinfoDemo.corpusPresent, "../shared/istio-corpus is absent: the task YAML, tokens and key come from it"))
struct EndUserAuthenticationTests {
    @Test("authn-policy end-user at the ingress: no token 200, deadbeef 401, demo.jwt 200; 55 s past exp 200 and 65 s past 401 (60 s skew); require-JWT 403; per-path")
    func ingressEndUser() throws {
        let setup = try EndUserAuthentication()
        defer { setup.stop() }
        try setup.apply(task: "docs-tasks/authn-policy/10-httpbin-gateway-and-vs-foo.yaml")
        try setup.startIngress()
        try setup.mesh.waitUntil("the ingress routes to httpbin") { (try? setup.atIngress("/headers").status) == 200 }
        try setup.apply(task: "docs-tasks/authn-policy/11-requestauthentication-jwt-example-ingress.yaml")
        let demo = try EndUserAuthentication.token("demo.jwt")
        try setup.mesh.waitUntil("demo.jwt is accepted once the JWKS is fetched and pushed") {
            (try? setup.atIngress("/headers", token: "deadbeef").status) == 401 && (try? setup.atIngress("/headers", token: demo).status) == 200
        }
        #expect(try setup.atIngress("/headers").status == 200, "RequestAuthentication alone does not require a token")
        let bad = try setup.atIngress("/headers", token: "deadbeef")
        #expect(bad.status == 401 && bad.body == "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections", "\(bad)")
        let garbage = try setup.atIngress("/headers", token: demo.split(separator: ".").prefix(2).joined(separator: ".") + "." + String(repeating: "%", count: 40_000))
        #expect(garbage.status == 401 && garbage.body == "Jwt signature is an invalid Base64url encoded", "a 40 KB signature of bad base64: \(garbage)")
        let notObject = try setup.atIngress("/headers", token: "WzFd.WzFd.c2ln")
        #expect(notObject.status == 401, "a header and payload that are JSON arrays: \(notObject)")
        #expect(try setup.atIngress("/headers", token: String(repeating: "a", count: 100_000)).status == 431, "a 100 KB header is over the 60 KiB head limit, as Envoy's")
        let verified = try setup.atIngress("/headers", token: demo)
        #expect(verified.status == 200 && !verified.body.contains(demo), "the token is not forwarded upstream: \(verified.body)")

        let now = Int(Date().timeIntervalSince1970)
        let lately = try EndUserAuthentication.mint(#"{"iss":"testing@secure.istio.io","sub":"testing@secure.istio.io","exp":\#(now - 55)}"#)
        #expect(try setup.atIngress("/headers", token: lately).status == 200, "expired 55 s ago: inside the 60 s clock skew")
        let expired = try EndUserAuthentication.mint(#"{"iss":"testing@secure.istio.io","sub":"testing@secure.istio.io","exp":\#(now - 65)}"#)
        let refused = try setup.atIngress("/headers", token: expired)
        #expect(refused.status == 401 && refused.body == "Jwt is expired", "\(refused)")

        try setup.apply(task: "docs-tasks/authn-policy/12-authorizationpolicy-frontend-ingress-require-jwt.yaml")
        try setup.mesh.waitUntil("require-JWT: no token 403") { (try? setup.atIngress("/headers").status) == 403 }
        #expect(try setup.atIngress("/headers", token: demo).status == 200)
        try setup.apply(task: "docs-tasks/authn-policy/13-authorizationpolicy-frontend-ingress-per-path.yaml")
        try setup.mesh.waitUntil("per-path: /ip without a token 200") { (try? setup.atIngress("/ip").status) == 200 }
        #expect(try setup.atIngress("/headers").status == 403, "/headers still needs a token")
        #expect(try setup.atIngress("/headers", token: demo).status == 200)
        let admin = try #require(try setup.mesh.mesh.controlPlane.proxies().first { $0.id.hasPrefix("istio-ingressgateway") }?.adminAddress, "the router's admin address")
        let stats = String(decoding: try Data(contentsOf: URL(string: "http://\(admin)/stats")!), as: UTF8.self)
        #expect(stats.contains("jwt_authn.denied.jwt_expired: 1") && stats.contains("jwt_authn.denied.jwt_bad_format:"), "counted by reason:\n\(stats)")
    }

    @Test("authz-jwt on the httpbin sidecar: invalid token 401, no token 200; require iss/sub: demo.jwt 200, none 403; the groups claim: groups-scope.jwt 200, demo.jwt 403")
    func sidecarAuthorizationByToken() throws {
        let setup = try EndUserAuthentication()
        defer { setup.stop() }
        let demo = try EndUserAuthentication.token("demo.jwt"), groups = try EndUserAuthentication.token("groups-scope.jwt")
        try setup.apply(task: "docs-tasks/authz-jwt/01-requestauthentication-jwt-example.yaml")
        try setup.mesh.waitUntil("an invalid token is refused at httpbin") { (try? setup.fromSleep("headers", token: "invalidToken").status) == 401 }
        try setup.mesh.waitUntil("demo.jwt verifies once the JWKS is pushed") { (try? setup.fromSleep("headers", token: demo).status) == 200 }
        #expect(try setup.fromSleep("headers").status == 200)
        try setup.apply(task: "docs-tasks/authz-jwt/02-authorizationpolicy-require-jwt.yaml")
        try setup.mesh.waitUntil("require-jwt: no token 403") { (try? setup.fromSleep("headers").status) == 403 }
        #expect(try setup.fromSleep("headers", token: demo).status == 200)
        try setup.apply(task: "docs-tasks/authz-jwt/03-authorizationpolicy-require-jwt-group1.yaml")
        try setup.mesh.waitUntil("group1: demo.jwt 403") { (try? setup.fromSleep("headers", token: demo).status) == 403 }
        #expect(try setup.fromSleep("headers", token: groups).status == 200)

        // weft x authz check --jwt: the same decisions, from the proxy's own rules and engine.
        let controlPlane = setup.mesh.mesh.controlPlane
        let proxy = try #require(try controlPlane.proxies().first { $0.id.hasPrefix("httpbin") }?.id, "httpbin's proxy id")
        func check(_ token: String) throws -> [String] {
            let file = setup.keys.appendingPathComponent("token-\(UUID().uuidString)")
            try Data(token.utf8).write(to: file)
            let result = try controlPlane.weft(["x", "authz", "check", proxy, "--request", "GET /headers", "--jwt", file.path])
            return result.stdout.split(separator: "\n").suffix(2).map(String.init) + (result.status == 0 ? [] : [result.stderr])
        }
        #expect(try check(groups) == ["JWT: verified, request principal testing@secure.istio.io/testing@secure.istio.io", "GET /headers: ALLOW by foo/require-jwt, rule 0"])
        #expect(try check(demo).last == "GET /headers: DENY no ALLOW policy matched", "demo.jwt lacks group1")
        let refused = try check("invalidToken")
        #expect(refused == ["JWT: refused: Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections",
                            "GET /headers: 401 (RequestAuthentication refuses the token before any policy is read)"], "\(refused)")
    }

    @Test("jwt-route at the ingress: no JWT 404, invalid 401, groups-scope.jwt 200, demo.jwt (no groups) 404")
    func routeOnClaims() throws {
        let setup = try EndUserAuthentication()
        defer { setup.stop() }
        try setup.apply(task: "docs-tasks/authn-policy/10-httpbin-gateway-and-vs-foo.yaml")
        try setup.startIngress()
        try setup.mesh.waitUntil("the ingress routes to httpbin") { (try? setup.atIngress("/headers").status) == 200 }
        try setup.apply(task: "docs-tasks/jwt-route/01-requestauthentication-ingress-jwt.yaml")
        try setup.apply(task: "docs-tasks/jwt-route/02-virtualservice-route-on-groups-claim.yaml")
        let demo = try EndUserAuthentication.token("demo.jwt"), groups = try EndUserAuthentication.token("groups-scope.jwt")
        // The claim route replaces one that took everything: only a 404 without a token shows it has landed.
        try setup.mesh.waitUntil("the claim route is in place") {
            (try? setup.atIngress("/headers").status) == 404 && (try? setup.atIngress("/headers", token: groups).status) == 200
        }
        #expect(try setup.atIngress("/headers", token: "invalid").status == 401)
        #expect(try setup.atIngress("/headers", token: demo).status == 404, "demo.jwt has no groups claim")
    }

    @Test("JWKS not JSON, then huge: the last good keys stay (demo.jwt 200), reported by the API, weft get and weft analyze (WFT0001 Warning); a silent endpoint times out; never fetched: tokens 401, no token 200, WFT0001 Error")
    func keySetFailures() throws {
        let setup = try EndUserAuthentication(controlPlaneEnvironment: ["PILOT_JWT_PUB_KEY_REFRESH_INTERVAL": "1s"])
        defer { setup.stop() }
        let demo = try EndUserAuthentication.token("demo.jwt")
        try setup.apply(task: "docs-tasks/authz-jwt/01-requestauthentication-jwt-example.yaml")
        // A refused token shows the rule has reached the sidecar; only then does demo.jwt's 200 prove the keys did.
        try setup.mesh.waitUntil("demo.jwt verifies") {
            (try? setup.fromSleep("headers", token: "invalidToken").status) == 401 && (try? setup.fromSleep("headers", token: demo).status) == 200
        }
        try setup.serve(jwks: "this is not a key set")
        func jwksReport() throws -> String {
            String(decoding: try Data(contentsOf: URL(string: setup.mesh.mesh.controlPlane.url + "/api/v1/jwks")!), as: UTF8.self)
        }
        try setup.mesh.waitUntil("the bad answer is reported") { (try? jwksReport())?.contains("not a JSON object") == true }
        #expect(try setup.fromSleep("headers", token: demo).status == 200, "the last good key set keeps serving")
        try setup.serve(jwks: String(repeating: " ", count: 600 * 1024) + "{}")
        try setup.mesh.waitUntil("a huge answer is reported") { (try? jwksReport())?.contains("larger than") == true }
        #expect(try setup.fromSleep("headers", token: demo).status == 200)
        let controlPlane = setup.mesh.mesh.controlPlane
        let listed = try controlPlane.weft(["get", "requestauthentication", "-n", "foo", "-o", "wide"])
        #expect(listed.stdout.contains("Warning:WFT0001") && listed.stdout.contains("proxies keep the last good key set"), "weft get reports the failure: \(listed.stdout) \(listed.stderr)")
        let analyzed = try controlPlane.weft(["analyze", "--use-control-plane", "-n", "foo"])
        #expect(analyzed.status == 0 && analyzed.stdout.contains("Warning [WFT0001] (RequestAuthentication jwt-example.foo "), "a Warning, not a failure: \(analyzed.stdout) \(analyzed.stderr)")

        // An endpoint that accepts and never answers: the rule's 1 s timeout, not a hang.
        let silent = try SilentListener()
        defer { silent.close() }
        let unreachable = try setup.taskYAML("docs-tasks/authz-jwt/01-requestauthentication-jwt-example.yaml")
            .replacingOccurrences(of: "127.0.0.1:\(setup.jwksPort)", with: "127.0.0.1:\(silent.port)").replacingOccurrences(of: "jwt-example", with: "jwt-elsewhere")
            .replacingOccurrences(of: "testing@secure.istio.io\"", with: "elsewhere@example.com\"\n    timeout: 1s")
        try setup.mesh.apply(unreachable)
        let elsewhere = try EndUserAuthentication.mint(#"{"iss":"elsewhere@example.com","sub":"x"}"#)
        try setup.mesh.waitUntil("a token of an issuer whose keys never came is refused") { (try? setup.fromSleep("headers", token: elsewhere).status) == 401 }
        #expect(try setup.fromSleep("headers").status == 200, "no token passes")
        try setup.mesh.waitUntil("the silent URI is reported as timed out") { (try? jwksReport())?.contains("no answer from 127.0.0.1:\(silent.port) within 1") == true }
        let never = try controlPlane.weft(["analyze", "--use-control-plane", "-n", "foo"])
        #expect(never.status == 79 && never.stdout.contains("Error [WFT0001] (RequestAuthentication jwt-elsewhere.foo ") && never.stdout.contains("no key set was ever fetched"),
                "\(never.stdout) \(never.stderr)")
    }
}
