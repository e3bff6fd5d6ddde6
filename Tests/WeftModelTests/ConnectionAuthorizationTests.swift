import Testing
import WeftModel

/// AuthorizationPolicy as a TCP connection is judged by it (Istio's network RBAC filter): HTTP-only
/// fields leave an ALLOW rule out and are dropped from a DENY or AUDIT rule.
struct ConnectionAuthorizationTests {
    static func rule(ports: [String] = [], methods: [String] = [], principals: [String] = [], requestPrincipals: [String] = [],
                     when: [AuthorizationRule.Condition] = []) -> AuthorizationRule {
        var operation = AuthorizationRule.Operation()
        operation.ports = ports
        operation.methods = methods
        var source = AuthorizationRule.Source()
        source.principals = principals
        source.requestPrincipals = requestPrincipals
        return AuthorizationRule(sources: principals.isEmpty && requestPrincipals.isEmpty ? [] : [source],
                                 operations: ports.isEmpty && methods.isEmpty ? [] : [operation], conditions: when)
    }

    static let client = AuthorizationEngine.Request(principal: "cluster.local/ns/default/sa/client", sourceIP: "127.0.0.5", destinationPort: 9000, method: "", path: "")

    @Test("ALLOW: a rule naming methods, request principals or a request `when` key is left out; a rule of ports, principals and connection keys stays")
    func allow() throws {
        let policy = AuthorizationPolicyConfig(name: "foo/tcp", action: .allow, rules: [
            Self.rule(ports: ["9000"], methods: ["GET"]),
            Self.rule(principals: ["*"], requestPrincipals: ["issuer/subject"]),
            Self.rule(ports: ["9001"], when: [.init(key: "request.headers[x-a]", values: ["b"])]),
            Self.rule(ports: ["9002"], principals: ["cluster.local/ns/default/sa/client"], when: [.init(key: "source.ip", values: ["127.0.0.0/8"])]),
        ])
        let judged = try #require(policy.forConnections)
        #expect(judged.rules == [policy.rules[3]])
        var to9000 = Self.client
        #expect(!AuthorizationEngine.evaluate([judged], to9000).decision.allowed, "the methods rule is gone: nothing allows 9000")
        to9000.destinationPort = 9002
        #expect(AuthorizationEngine.evaluate([judged], to9000).decision.allowed)
    }

    @Test("DENY and AUDIT: the HTTP-only fields are dropped and the rest still matches (a wider deny); CUSTOM: left out with an HTTP provider, judged as a DENY with a gRPC one")
    func denyAndCustom() throws {
        let deny = AuthorizationPolicyConfig(name: "foo/tcp", action: .deny, rules: [Self.rule(ports: ["9000"], methods: ["GET"])])
        let judged = try #require(deny.forConnections)
        #expect(judged.rules == [Self.rule(ports: ["9000"])])
        #expect(!AuthorizationEngine.evaluate([judged], Self.client).decision.allowed)
        var other = Self.client
        other.destinationPort = 9001
        #expect(AuthorizationEngine.evaluate([judged], other).decision.allowed)
        let methodsOnly = AuthorizationPolicyConfig(name: "foo/all", action: .deny, rules: [Self.rule(methods: ["GET"])])
        #expect(!AuthorizationEngine.evaluate([try #require(methodsOnly.forConnections)], other).decision.allowed, "a DENY of methods alone denies every connection")
        let audit = AuthorizationPolicyConfig(name: "foo/audit", action: .audit, rules: [Self.rule(ports: ["9000"], when: [.init(key: "request.auth.claims[iss]", values: ["x"])])])
        #expect(AuthorizationEngine.evaluate([try #require(audit.forConnections)], Self.client).decision.audited == ["foo/audit"])
        let http = ExternalAuthorizer(name: "http", address: "ext-authz:8000")
        #expect(AuthorizationPolicyConfig(name: "foo/ext", action: .custom, rules: [Self.rule(ports: ["9000"])], provider: http).forConnections == nil,
                "an HTTP provider cannot be asked about a connection: the policy is left out")
        var grpc = ExternalAuthorizer(name: "grpc", address: "ext-authz:9000")
        grpc.api = .grpc
        let custom = try #require(AuthorizationPolicyConfig(name: "foo/ext", action: .custom, rules: [Self.rule(ports: ["9000"], methods: ["GET"])], provider: grpc).forConnections)
        #expect(custom.rules == [Self.rule(ports: ["9000"])] && AuthorizationEngine.externalAuthorizer([custom], Self.client) == grpc, "a gRPC provider's rules are judged as a DENY's")
    }
}
