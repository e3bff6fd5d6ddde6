import Testing
import WeftAPI
import WeftControlPlane
import WeftModel
import WeftTesting

/// The authorization engine in Istio's terms: AuthorizationPolicy YAML and one request's
/// attributes in, allow or deny and the deciding policy out (scoping by the control plane,
/// evaluation as the proxy does it).
@Suite("authorization grid")
struct AuthorizationGridTests {
    static let productpage = "cluster.local/ns/default/sa/bookinfo-productpage"
    static let workload = ProxyIdentity(id: "details-1", namespace: "default", labels: ["app": "details"], serviceAccount: "bookinfo-details", ports: ["http": 9080])

    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var yaml: String
        var request: AuthorizationEngine.Request
        var allowed: Bool
        var policy: String?
        var description: String { name }
    }

    static func policy(_ name: String, namespace: String = "default", _ spec: String, annotations: String = "") -> String {
        "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: \(name), namespace: \(namespace)\(annotations)}\nspec:\n" + spec + "\n"
    }

    static func get(_ path: String = "/details/0", principal: String? = productpage, method: String = "GET", source: String = "127.0.1.5",
                    headers: [(name: String, value: String)] = [], host: String = "details") -> AuthorizationEngine.Request {
        AuthorizationEngine.Request(principal: principal, sourceIP: source, remoteIP: source, destinationPort: 9080, host: host, method: method, path: path, headers: HeaderFields(headers.map { ($0.name, $0.value) }))
    }

    static let viewer = policy("details-viewer", """
      selector: {matchLabels: {app: details}}
      rules:
      - from: [{source: {principals: ["cluster.local/ns/default/sa/bookinfo-productpage"]}}]
        to: [{operation: {methods: ["GET"]}}]
    """)

    static let cases: [Case] = [
        Case(name: "no policy allows", yaml: "", request: get(), allowed: true, policy: nil),
        Case(name: "spec {} (allow-nothing) denies", yaml: policy("allow-nothing", "  {}\n"), request: get(), allowed: false, policy: nil),
        Case(name: "a rule {} allows everything", yaml: policy("allow-all", "  rules: [{}]\n"), request: get(principal: nil), allowed: true, policy: "default/allow-all"),
        Case(name: "viewer: GET from productpage", yaml: viewer, request: get(), allowed: true, policy: "default/details-viewer"),
        Case(name: "viewer: POST is not allowed", yaml: viewer, request: get(method: "POST"), allowed: false, policy: nil),
        Case(name: "viewer: another principal", yaml: viewer, request: get(principal: "cluster.local/ns/default/sa/sleep"), allowed: false, policy: nil),
        Case(name: "viewer: plaintext has no principal", yaml: viewer, request: get(principal: nil), allowed: false, policy: nil),
        Case(name: "DENY beats ALLOW", yaml: viewer + "---\n" + policy("deny-admin", "  action: DENY\n  rules: [{to: [{operation: {paths: [\"/admin*\"]}}]}]\n"),
             request: get("/admin/users"), allowed: false, policy: "default/deny-admin"),
        Case(name: "DENY alone leaves the rest allowed", yaml: policy("deny-admin", "  action: DENY\n  rules: [{to: [{operation: {paths: [\"/admin*\"]}}]}]\n"),
             request: get("/ok"), allowed: true, policy: nil),
        Case(name: "suffix and presence match", yaml: policy("png", "  rules: [{to: [{operation: {paths: [\"*.png\"]}}], from: [{source: {principals: [\"*\"]}}]}]\n"),
             request: get("/a/b.png"), allowed: true, policy: "default/png"),
        Case(name: "namespaces from the principal; notNamespaces", yaml: policy("ns", "  rules: [{from: [{source: {namespaces: [\"default\"], notNamespaces: [\"legacy\"]}}]}]\n"),
             request: get(principal: "cluster.local/ns/legacy/sa/x"), allowed: false, policy: nil),
        Case(name: "serviceAccounts are principals in any trust domain", yaml: policy("sa", "  rules: [{from: [{source: {serviceAccounts: [\"default/bookinfo-productpage\"]}}]}]\n"),
             request: get(), allowed: true, policy: "default/sa"),
        Case(name: "ipBlocks by CIDR", yaml: policy("ip", "  rules: [{from: [{source: {ipBlocks: [\"127.0.0.0/16\"]}}]}]\n"),
             request: get(source: "127.0.9.9"), allowed: true, policy: "default/ip"),
        Case(name: "notIpBlocks", yaml: policy("ip", "  rules: [{from: [{source: {notIpBlocks: [\"127.0.1.0/24\"]}}]}]\n"),
             request: get(source: "127.0.1.9"), allowed: false, policy: nil),
        Case(name: "hosts are case-insensitive; ports", yaml: policy("host", "  rules: [{to: [{operation: {hosts: [\"DETAILS\"], ports: [\"9080\"]}}]}]\n"),
             request: get(host: "details"), allowed: true, policy: "default/host"),
        Case(name: "when request.headers", yaml: policy("header", "  rules: [{when: [{key: \"request.headers[x-token]\", values: [\"abc*\"]}]}]\n"),
             request: get(headers: [(name: "x-token", value: "abcdef")]), allowed: true, policy: "default/header"),
        Case(name: "when source.namespace notValues", yaml: policy("w", "  rules: [{when: [{key: source.namespace, notValues: [default]}]}]\n"),
             request: get(), allowed: false, policy: nil),
        Case(name: "when request.auth.claims without a token does not match", yaml: policy("claims", "  rules: [{when: [{key: \"request.auth.claims[groups]\", values: [group1]}]}]\n"),
             request: get(), allowed: false, policy: nil),
        Case(name: "when source.serviceAccount", yaml: policy("sa-key", "  rules: [{when: [{key: source.serviceAccount, values: [\"default/bookinfo-productpage\"]}]}]\n"),
             request: get(), allowed: true, policy: "default/sa-key"),
        Case(name: "AUDIT does not change the decision", yaml: policy("audit", "  action: AUDIT\n  rules: [{}]\n"), request: get(), allowed: true, policy: nil),
        Case(name: "a policy for other labels does not apply", yaml: policy("other", "  selector: {matchLabels: {app: reviews}}\n"), request: get(), allowed: true, policy: nil),
        Case(name: "root namespace applies mesh-wide", yaml: policy("mesh-deny", namespace: "istio-system", "  {}\n"), request: get(), allowed: false, policy: nil),
        Case(name: "another namespace's policy does not apply", yaml: policy("foo-deny", namespace: "foo", "  {}\n"), request: get(), allowed: true, policy: nil),
        Case(name: "targetRef naming the workload's Service", yaml: "apiVersion: v1\nkind: Service\nmetadata: {name: details}\nspec: {selector: {app: details}, ports: [{name: http, port: 9080}]}\n---\n"
             + policy("by-service", "  targetRefs: [{kind: Service, group: \"\", name: details}]\n"), request: get(), allowed: false, policy: nil),
        Case(name: "a dry-run DENY is not enforced", yaml: policy("dry", "  action: DENY\n  rules: [{}]\n", annotations: ", annotations: {\"istio.io/dry-run\": \"true\"}"),
             request: get(), allowed: true, policy: nil),
    ]

    @Test("policy YAML + request → decision and deciding policy", arguments: cases)
    func grid(_ testCase: Case) throws {
        let simulation = try Simulation(yaml: testCase.yaml)
        let policies = AuthorizationTranslator.translate(simulation.view(of: Self.workload))
        let (decision, _) = AuthorizationEngine.evaluate(policies, testCase.request)
        #expect(decision.allowed == testCase.allowed, "\(testCase.name): \(decision)")
        #expect(decision.policy == testCase.policy, "\(testCase.name): \(decision)")
    }

    @Test("dry-run: the shadow decision includes the dry-run policy")
    func dryRunShadow() throws {
        let simulation = try Simulation(yaml: Self.policy("dry", "  action: DENY\n  rules: [{}]\n", annotations: ", annotations: {\"istio.io/dry-run\": \"true\"}"))
        let (decision, shadow) = AuthorizationEngine.evaluate(AuthorizationTranslator.translate(simulation.view(of: Self.workload)), Self.get())
        #expect(decision.allowed && shadow?.allowed == false && shadow?.policy == "default/dry")
    }
}
