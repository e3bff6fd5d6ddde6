import Crypto
import CryptoExtras
import Foundation
import Testing
@testable import WeftJWT
import WeftModel

@Suite("JWT verification: Istio's e2e and demo tokens against their JWKS, Envoy's failure reasons",
       .enabled(if: Corpus.isPresent, "../shared/istio-corpus is absent: the tokens and key sets come from it"))
struct JWTAuthenticatorTests {
    static let issuers = ["test-issuer-1@istio.io", "test-issuer-2@istio.io", "test-issuer-3@istio.io"]

    func e2eAuthenticator(audiences: [String] = []) throws -> JWTAuthenticator {
        let jwks = try Corpus.text("tests/common/jwt/jwks.json")
        return JWTAuthenticator(rules: Self.issuers.map { JWTRuleConfig(issuer: $0, audiences: audiences, jwks: jwks) })
    }

    func request(bearer token: String) -> RequestAttributes {
        RequestAttributes(authority: "httpbin", path: "/headers", headers: [("Authorization", "Bearer \(token)")])
    }

    @Test("all 13 real tokens of tokens.tsv verify (TokenExpired refused as expired, TokenInvalid as malformed); principal iss/sub and audiences as their payloads say")
    func e2eTokens() throws {
        let authenticator = try e2eAuthenticator()
        let tokens = try Corpus.e2eTokens()
        #expect(tokens.count == 14, "tokens.tsv holds Istio's 14 token constants")
        var verified = 0
        for entry in tokens {
            let outcome = authenticator.authenticate(request(bearer: entry.token))
            switch (entry.name, outcome) {
            case ("TokenExpired", .refused(let failure)): #expect(failure == .expired)
            case ("TokenInvalid", .refused(let failure)): #expect(failure == .badFormat)
            case (_, .verified(let auth, _)):
                verified += 1
                let payload = try #require(try JSONSerialization.jsonObject(with: Data(entry.payload.utf8)) as? [String: Any], "\(entry.name)")
                #expect(auth.principal == "\(payload["iss"] as? String ?? "")/\(payload["sub"] as? String ?? "")", "\(entry.name)")
                let audiences = (payload["aud"] as? [String]) ?? (payload["aud"] as? String).map { [$0] } ?? []
                #expect(auth.audiences == audiences, "\(entry.name)")
                #expect(auth.presenter == payload["azp"] as? String, "\(entry.name)")
            default: Issue.record("\(entry.name): \(outcome)")
            }
        }
        #expect(verified == 12, "12 valid tokens plus TokenExpired make the 13 real ones")
    }

    @Test("claims as policies read them: lists, nested [a][b], names with '/', space-delimited scope and permission (custom_scope only when named)")
    func claims() throws {
        let authenticator = try e2eAuthenticator()
        let tokens = Dictionary(uniqueKeysWithValues: try Corpus.e2eTokens().map { ($0.name, $0.token) })
        func auth(_ name: String) throws -> RequestAuthAttributes {
            guard case .verified(let auth, _) = authenticator.authenticate(request(bearer: tokens[name] ?? "")) else { throw Failure("\(name) did not verify") }
            return auth
        }
        #expect(try auth("TokenIssuer1").claimValues(["groups"]) == ["group-1"])
        let nested = try auth("TokenIssuer1WithNestedClaims1")
        #expect(nested.claimValues(RequestAuthAttributes.claimPath("[nested][key1]")) == ["valueA", "valueB"])
        #expect(nested.claimValues(RequestAuthAttributes.claimPath("nested.nested-2.key1")) == ["valueA", "valueB"])
        #expect(try auth("TokenIssuer1WithNestedClaims2").claimValues(RequestAuthAttributes.claimPath("[nested][nested-2][key2]")) == ["valueC"])
        #expect(try auth("TokenIssuer1WithCollisionResistantName").claimValues(RequestAuthAttributes.claimPath("[test-issuer-1@istio.io/simple]")) == ["valueC"])
        #expect(try auth("TokenIssuer2WithSpaceDelimitedScope").claimValues(["scope"]) == ["write", "read"])
        #expect(try auth("TokenIssuer2WithSpaceDelimitedPermission").claimValues(["permission"]) == ["read", "write"])
        #expect(try auth("TokenIssuer2WithCustomScopeSpaceDelimitedScope").claimValues(["custom_scope"]) == ["admin user"])
        let custom = JWTAuthenticator(rules: [JWTRuleConfig(issuer: "test-issuer-2@istio.io", jwks: try Corpus.text("tests/common/jwt/jwks.json"), spaceDelimitedClaims: ["custom_scope"])])
        guard case .verified(let named, _) = custom.authenticate(request(bearer: tokens["TokenIssuer2WithCustomScopeSpaceDelimitedScope"] ?? "")) else { throw Failure("custom scope") }
        #expect(named.claimValues(["custom_scope"]) == ["admin", "user"])
    }

    @Test("audiences: a rule with audiences takes a token whose aud (string or list) holds one, refuses others")
    func audiences() throws {
        let tokens = Dictionary(uniqueKeysWithValues: try Corpus.e2eTokens().map { ($0.name, $0.token) })
        let foo = try e2eAuthenticator(audiences: ["foo"])
        #expect(isVerified(foo.authenticate(request(bearer: tokens["TokenIssuer1WithAud"] ?? ""))))
        #expect(isVerified(foo.authenticate(request(bearer: tokens["TokenIssuer1WithAudList"] ?? ""))))
        #expect(failure(foo.authenticate(request(bearer: tokens["TokenIssuer1"] ?? ""))) == .audienceNotAllowed)
        let buzz = try e2eAuthenticator(audiences: ["buzz"])
        #expect(failure(buzz.authenticate(request(bearer: tokens["TokenIssuer1WithAud"] ?? ""))) == .audienceNotAllowed)
        #expect(isVerified(buzz.authenticate(request(bearer: tokens["TokenIssuer1WithAudList"] ?? ""))))
    }

    @Test("the demo tokens against the sample JWKS: iss/sub principal, groups claim; unknown issuer and a key set of another issuer refused")
    func demoTokens() throws {
        let jwks = try Corpus.text("security/tools/jwt/samples/jwks.json")
        let demo = try Corpus.text("security/tools/jwt/samples/demo.jwt").trimmingCharacters(in: .whitespacesAndNewlines)
        let groups = try Corpus.text("security/tools/jwt/samples/groups-scope.jwt").trimmingCharacters(in: .whitespacesAndNewlines)
        let authenticator = JWTAuthenticator(rules: [JWTRuleConfig(issuer: "testing@secure.istio.io", jwks: jwks)])
        guard case .verified(let auth, let edits) = authenticator.authenticate(request(bearer: demo)) else { throw Failure("demo.jwt did not verify") }
        #expect(auth.principal == "testing@secure.istio.io/testing@secure.istio.io")
        #expect(auth.claimValues(["foo"]) == ["bar"])
        #expect(edits.requestRemove == ["authorization"], "the token is not forwarded unless forwardOriginalToken")
        guard case .verified(let grouped, _) = authenticator.authenticate(request(bearer: groups)) else { throw Failure("groups-scope.jwt did not verify") }
        #expect(grouped.claimValues(["groups"]) == ["group1", "group2"])
        #expect(authenticator.authenticate(RequestAttributes(authority: "h", path: "/")).isNoToken, "no token is not an error")
        #expect(failure(authenticator.authenticate(request(bearer: "deadbeef"))) == .badFormat)
        let e2e = try e2eAuthenticator()
        #expect(failure(e2e.authenticate(request(bearer: demo))) == .unknownIssuer)
        let wrongKeys = JWTAuthenticator(rules: [JWTRuleConfig(issuer: "testing@secure.istio.io", jwks: try Corpus.text("tests/common/jwt/jwks.json"))])
        #expect(failure(wrongKeys.authenticate(request(bearer: demo))) == .noMatchingKey, "kid not in the set")
        let noKeys = JWTAuthenticator(rules: [JWTRuleConfig(issuer: "testing@secure.istio.io")])
        #expect(failure(noKeys.authenticate(request(bearer: demo))) == .noMatchingKey, "no JWKS fetched: refused, not let through")
    }

    @Test("tokens made here with the corpus key: 5 s expiry accepted for 60 s of skew, then 'Jwt is expired'; nbf; tampered payload 'Jwt verification fails'; alg none and HS256 refused")
    func minted() throws {
        let key = try _RSA.Signing.PrivateKey(pemRepresentation: try Corpus.text("security/tools/jwt/samples/key.pem"))
        let jwks = try Corpus.text("security/tools/jwt/samples/jwks.json")
        let authenticator = JWTAuthenticator(rules: [JWTRuleConfig(issuer: "testing@secure.istio.io", jwks: jwks)])
        let now = Date().timeIntervalSince1970
        let token = try TestTokens.rs256(key, kid: "DHFbpoIUqrY8t2zpA2qXfCmr5VO5ZEr4RzHU_-envvQ",
                                        payload: ["iss": "testing@secure.istio.io", "sub": "me", "exp": Int(now) + 5])
        #expect(isVerified(authenticator.authenticate(request(bearer: token), now: now)))
        #expect(isVerified(authenticator.authenticate(request(bearer: token), now: now + 64)), "60 s of clock skew")
        #expect(failure(authenticator.authenticate(request(bearer: token), now: now + 66)) == .expired)
        #expect(JWTFailure.expired.message == "Jwt is expired")
        let early = try TestTokens.rs256(key, kid: nil, payload: ["iss": "testing@secure.istio.io", "sub": "me", "nbf": Int(now) + 120])
        #expect(failure(authenticator.authenticate(request(bearer: early), now: now)) == .notYetValid)
        #expect(isVerified(authenticator.authenticate(request(bearer: early), now: now + 61)))
        let parts = token.split(separator: ".")
        let forged = TestTokens.base64url(Data(#"{"iss":"testing@secure.istio.io","sub":"admin"}"#.utf8))
        #expect(failure(authenticator.authenticate(request(bearer: "\(parts[0]).\(forged).\(parts[2])"))) == .verificationFailed)
        #expect(JWTFailure.verificationFailed.message == "Jwt verification fails")
        let none = TestTokens.base64url(Data(#"{"alg":"none"}"#.utf8)) + "." + parts[1] + "."
        #expect(failure(authenticator.authenticate(request(bearer: none))) == .algNotImplemented)
        let hmacHeader = TestTokens.base64url(Data(#"{"alg":"HS256","kid":"DHFbpoIUqrY8t2zpA2qXfCmr5VO5ZEr4RzHU_-envvQ"}"#.utf8))
        let hmacInput = Data("\(hmacHeader).\(parts[1])".utf8)
        // HMAC keyed with the public key's bytes: the classic confusion attack.
        let publicKey = SymmetricKey(data: try _RSA.Signing.PublicKey(pemRepresentation: key.publicKey.pemRepresentation).derRepresentation)
        let mac = TestTokens.base64url(Data(HMAC<SHA256>.authenticationCode(for: hmacInput, using: publicKey)))
        #expect(failure(authenticator.authenticate(request(bearer: "\(hmacHeader).\(parts[1]).\(mac)"))) == .noMatchingKey)
    }

    @Test("PS256, ES256, ES384 and EdDSA tokens verify against their JWKS; a signature of another key fails")
    func algorithms() throws {
        let rsa = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let p256 = P256.Signing.PrivateKey(), p384 = P384.Signing.PrivateKey(), ed = Curve25519.Signing.PrivateKey()
        let jwks = TestTokens.jwks([TestTokens.jwk(rsa.publicKey, kid: "rsa"), TestTokens.jwk(p256.publicKey, kid: "p256"),
                                    TestTokens.jwk(p384.publicKey, kid: "p384"), TestTokens.jwk(ed.publicKey, kid: "ed")])
        let authenticator = JWTAuthenticator(rules: [JWTRuleConfig(issuer: "i", jwks: jwks)])
        let claims: [String: Any] = ["iss": "i", "sub": "s"]
        for token in [try TestTokens.ps256(rsa, kid: "rsa", payload: claims), try TestTokens.es256(p256, kid: "p256", payload: claims),
                      try TestTokens.es384(p384, kid: "p384", payload: claims), try TestTokens.eddsa(ed, kid: "ed", payload: claims),
                      try TestTokens.es256(p256, kid: nil, payload: claims)] {
            #expect(isVerified(authenticator.authenticate(request(bearer: token))), "\(token.prefix(40))")
        }
        let other = try TestTokens.es256(P256.Signing.PrivateKey(), kid: "p256", payload: claims)
        #expect(failure(authenticator.authenticate(request(bearer: other))) == .verificationFailed)
    }

    @Test("a verified token is remembered: the same token again is only checked against the clock (expired later: 401), at most 100 kept, a new configuration starts empty")
    func verifiedTokenCache() throws {
        let key = P256.Signing.PrivateKey()
        let jwks = TestTokens.jwks([TestTokens.jwk(key.publicKey, kid: "k")])
        let authenticator = JWTAuthenticator(rules: [JWTRuleConfig(issuer: "i", jwks: jwks)])
        let now = Date().timeIntervalSince1970
        let token = try TestTokens.es256(key, kid: "k", payload: ["iss": "i", "sub": "s", "exp": now + 30, "nbf": now - 5])
        #expect(isVerified(authenticator.authenticate(request(bearer: token), now: now)))
        #expect(authenticator.cachedTokens == 1)
        #expect(isVerified(authenticator.authenticate(request(bearer: token), now: now + 1)), "a hit")
        #expect(failure(authenticator.authenticate(request(bearer: token), now: now + 30 + 61)) == .expired, "a hit past exp + 60 s skew is expired")
        #expect(authenticator.cachedTokens == 0, "and forgotten")
        #expect(failure(authenticator.authenticate(request(bearer: token), now: now - 5 - 61)) == .notYetValid, "verified again: not yet valid before nbf - 60 s")
        for index in 0..<150 {
            let other = try TestTokens.es256(key, kid: "k", payload: ["iss": "i", "sub": "s\(index)"])
            #expect(isVerified(authenticator.authenticate(request(bearer: other))))
        }
        #expect(authenticator.cachedTokens == 100, "bounded")
        let tampered = token.dropLast(4) + "AAAA"
        #expect(failure(authenticator.authenticate(request(bearer: String(tampered)))) == .verificationFailed, "a different token is verified, not matched by prefix")
        #expect(JWTAuthenticator(rules: [JWTRuleConfig(issuer: "i", jwks: jwks)]).cachedTokens == 0)
    }

    @Test("malformed tokens never crash: each gets its Envoy reason")
    func malformed() throws {
        let authenticator = try e2eAuthenticator()
        let cases: [(String, JWTFailure)] = [
            ("a.b", .badFormat), ("a.b.c.d", .badFormat), ("!!!.e30.", .headerBadBase64), ("bm90IGpzb24.e30.", .headerBadJSON),
            ("W10.e30.", .headerBadJSON), ("e30.e30.", .headerBadAlg), ("eyJhbGciOjF9.e30.", .headerBadAlg),
            ("eyJhbGciOiJSUzI1NiIsImtpZCI6MX0.e30.", .headerBadKid), ("eyJhbGciOiJSUzI1NiJ9.***.", .payloadBadBase64),
            ("eyJhbGciOiJSUzI1NiJ9.WzFd.", .payloadBadJSON), ("eyJhbGciOiJSUzI1NiJ9.e30.a+b", .signatureBadBase64),
            ("eyJhbGciOiJSUzI1NiJ9.e30.", .unknownIssuer), (String(repeating: "A", count: 100_000), .badFormat),
            (String(repeating: "A", count: 50_000) + ".e30.x", .headerBadJSON),
        ]
        for (token, expected) in cases {
            #expect(failure(authenticator.authenticate(request(bearer: token))) == expected, "\(token.prefix(40))")
        }
    }

    @Test("locations: fromHeaders with prefix, fromParams, fromCookies; forwardOriginalToken keeps the header; payload and claims copied to headers")
    func locations() throws {
        let jwks = try Corpus.text("security/tools/jwt/samples/jwks.json")
        let groups = try Corpus.text("security/tools/jwt/samples/groups-scope.jwt").trimmingCharacters(in: .whitespacesAndNewlines)
        let rule = JWTRuleConfig(issuer: "testing@secure.istio.io", jwks: jwks, fromHeaders: [.init(name: "x-jwt-assertion", prefix: "Token ")],
                                 fromParams: ["my_token"], fromCookies: ["session"], outputPayloadToHeader: "x-jwt-payload",
                                 outputClaimToHeaders: [.init(header: "x-groups", claim: "groups"), .init(header: "x-sub", claim: "sub")])
        let authenticator = JWTAuthenticator(rules: [rule])
        guard case .verified(_, let edits) = authenticator.authenticate(RequestAttributes(authority: "h", path: "/", headers: [("X-JWT-Assertion", "Token \(groups)")])) else {
            throw Failure("header with prefix")
        }
        #expect(edits.requestRemove == ["x-jwt-assertion"])
        #expect(edits.requestSet["x-jwt-payload"] == String(groups.split(separator: ".")[1]))
        #expect(edits.requestSet["x-groups"] == "group1,group2" && edits.requestSet["x-sub"] == "testing@secure.istio.io")
        #expect(isVerified(authenticator.authenticate(RequestAttributes(authority: "h", path: "/?my_token=\(groups)"))))
        #expect(isVerified(authenticator.authenticate(RequestAttributes(authority: "h", path: "/", headers: [("Cookie", "a=b; session=\(groups)")]))))
        #expect(authenticator.authenticate(RequestAttributes(authority: "h", path: "/", headers: [("Authorization", "Bearer \(groups)")])).isNoToken,
                "the default location is not read when locations are given")
        var forwarding = rule
        forwarding.forwardOriginalToken = true
        guard case .verified(_, let kept) = JWTAuthenticator(rules: [forwarding]).authenticate(RequestAttributes(authority: "h", path: "/", headers: [("x-jwt-assertion", "Token \(groups)")])) else {
            throw Failure("forwarding")
        }
        #expect(kept.requestRemove.isEmpty)
        #expect(isVerified(JWTAuthenticator(rules: [JWTRuleConfig(issuer: "testing@secure.istio.io", jwks: jwks)]).authenticate(RequestAttributes(authority: "h", path: "/?access_token=\(groups)"))),
                "the default access_token parameter")
    }

    @Test("a claim value a header cannot carry (CR, LF, another control character) is not copied to a header; tabs and UTF-8 are")
    func claimHeaderValues() {
        #expect(JWTAuthenticator.canBeHeaderValue("group1,group2") && JWTAuthenticator.canBeHeaderValue("a\tb") && JWTAuthenticator.canBeHeaderValue("Zoë"))
        #expect(!JWTAuthenticator.canBeHeaderValue("admin\r\nx-injected: 1") && !JWTAuthenticator.canBeHeaderValue("a\u{0}b") && !JWTAuthenticator.canBeHeaderValue("a\u{7F}"))
    }

    @Test("key sets: not JSON, no keys, only unusable keys are refused with a reason; usable keys beside an unusable one are kept")
    func keySets() throws {
        for (json, reason) in [("not json", "not a JSON object"), (#"{"keys":[]}"#, "no keys"), (#"{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}"#, "kty oct"),
                               (#"{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}"#, "RSA key refused")] {
            #expect(throws: JWKSError.self, "\(json)") { try JSONWebKeySet(json: json) }
            do { _ = try JSONWebKeySet(json: json) } catch { #expect(error.message.contains(reason), "\(error.message)") }
        }
        let mixed = #"{"keys":[{"kty":"oct","k":"c2VjcmV0"},"# + String(try Corpus.text("tests/common/jwt/jwks.json").split(separator: "[", maxSplits: 1)[1])
        let set = try JSONWebKeySet(json: mixed)
        #expect(set.keys.count == 1 && set.skipped.count == 1, "\(set.skipped)")
    }

    func isVerified(_ outcome: JWTAuthenticator.Outcome) -> Bool {
        if case .verified = outcome { return true }
        return false
    }

    func failure(_ outcome: JWTAuthenticator.Outcome) -> JWTFailure? {
        if case .refused(let failure) = outcome { return failure }
        return nil
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}

extension JWTAuthenticator.Outcome {
    var isNoToken: Bool { if case .noToken = self { return true } else { return false } }
}
