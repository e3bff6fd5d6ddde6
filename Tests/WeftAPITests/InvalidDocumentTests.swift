import Testing
import WeftAPI

/// One invalid document, the field path its error must name, and words its reason must contain.
struct InvalidCase: CustomTestStringConvertible, Sendable {
    var name: String
    var yaml: String
    var path: String
    var reason: String
    var testDescription: String { name }
}

/// Builds a VirtualService document around an `http:` (or other) block.
private func vs(_ spec: String, hosts: String = "[reviews]") -> String {
    """
    apiVersion: networking.istio.io/v1
    kind: VirtualService
    metadata: {name: reviews, namespace: default}
    spec:
      hosts: \(hosts)
    \(spec.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n"))
    """
}

private func dr(_ spec: String) -> String {
    """
    apiVersion: networking.istio.io/v1
    kind: DestinationRule
    metadata: {name: reviews}
    spec:
      host: reviews
    \(spec.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n"))
    """
}

private func resource(_ kind: String, _ group: String = "networking.istio.io/v1", _ spec: String) -> String {
    """
    apiVersion: \(group)
    kind: \(kind)
    metadata: {name: thing, namespace: default}
    spec:
    \(spec.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n"))
    """
}

let route = "route:\n  - destination: {host: reviews}"

let invalidCases: [InvalidCase] = [
    // Schema: unknown fields and wrong types, as the API server rejects them.
    InvalidCase(name: "unknown field in a route", yaml: vs("http:\n- rout:\n  - destination: {host: reviews}"), path: "spec.http[0].rout", reason: "unknown field \"rout\""),
    InvalidCase(name: "unknown top-level field", yaml: vs("http:\n- \(route)") + "\nspecs: {}", path: "specs", reason: "unknown field"),
    InvalidCase(name: "weight is a string", yaml: vs("http:\n- route:\n  - destination: {host: reviews}\n    weight: \"50\""), path: "spec.http[0].route[0].weight", reason: "expected an integer"),
    InvalidCase(name: "hosts is not a list", yaml: vs("http:\n- \(route)", hosts: "reviews"), path: "spec.hosts", reason: "expected a list"),
    InvalidCase(name: "label value is a number", yaml: "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n  labels: {version: 1}\n", path: "metadata.labels.version", reason: "expected a string"),
    InvalidCase(name: "unknown enum value", yaml: dr("trafficPolicy:\n  loadBalancer: {simple: ROUND_ROBN}"), path: "spec.trafficPolicy.loadBalancer.simple", reason: "unknown value \"ROUND_ROBN\""),
    InvalidCase(name: "malformed duration", yaml: vs("http:\n- \(route)\n  timeout: 10x"), path: "spec.http[0].timeout", reason: "invalid duration \"10x\""),
    InvalidCase(name: "duration without unit", yaml: vs("http:\n- \(route)\n  timeout: \"10\""), path: "spec.http[0].timeout", reason: "no unit"),
    InvalidCase(name: "metadata missing name", yaml: "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {namespace: a}\nspec:\n  servers: []\n", path: "metadata.name", reason: "name is required"),
    InvalidCase(name: "upper-case name", yaml: vs("http:\n- \(route)").replacingOccurrences(of: "name: reviews,", with: "name: Reviews,"), path: "metadata.name", reason: "invalid name"),
    InvalidCase(name: "unknown API version", yaml: "apiVersion: networking.istio.io/v2\nkind: VirtualService\nmetadata: {name: a}\nspec: {}\n", path: "apiVersion", reason: "has no version \"v2\""),
    InvalidCase(name: "unsupported kind", yaml: "apiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata: {name: a}\nspec: {}\n", path: "kind", reason: "not supported by Weft"),
    InvalidCase(name: "not a resource", yaml: "openapi: 3.0.0\ninfo: {title: x}\n", path: "apiVersion", reason: "not a Kubernetes resource"),
    // VirtualService semantics.
    InvalidCase(name: "weights do not sum to 100", yaml: vs("http:\n- route:\n  - destination: {host: reviews, subset: v1}\n    weight: 50\n  - destination: {host: reviews, subset: v2}\n    weight: 40"), path: "spec.http[0].route", reason: "must sum to 100 (they sum to 90)"),
    InvalidCase(name: "single destination with partial weight", yaml: vs("http:\n- route:\n  - destination: {host: reviews}\n    weight: 30"), path: "spec.http[0].route[0].weight", reason: "must sum to 100"),
    InvalidCase(name: "negative weight", yaml: vs("http:\n- route:\n  - destination: {host: reviews, subset: v1}\n    weight: 110\n  - destination: {host: reviews, subset: v2}\n    weight: -10"), path: "spec.http[0].route[1].weight", reason: "must not be negative"),
    InvalidCase(name: "no routes at all", yaml: vs("exportTo: [\".\"]"), path: "spec", reason: "http, tcp or tls must be provided"),
    InvalidCase(name: "route and redirect together", yaml: vs("http:\n- \(route)\n  redirect: {uri: /x}"), path: "spec.http[0].route", reason: "both route and redirect"),
    InvalidCase(name: "empty route", yaml: vs("http:\n- match:\n  - uri: {prefix: /}"), path: "spec.http[0].route", reason: "route, redirect or directResponse is required"),
    InvalidCase(name: "regex that RE2 rejects", yaml: vs("http:\n- match:\n  - uri: {regex: \"/a(?=b)\"}\n  \(route)"), path: "spec.http[0].match[0].uri.regex", reason: "lookahead is not supported by RE2"),
    InvalidCase(name: "regex that does not compile", yaml: vs("http:\n- match:\n  - headers:\n      x-user: {regex: \"(unclosed\"}\n  \(route)"), path: "spec.http[0].match[0].headers.x-user.regex", reason: "does not compile"),
    InvalidCase(name: "two match kinds at once", yaml: vs("http:\n- match:\n  - uri: {exact: /a, prefix: /b}\n  \(route)"), path: "spec.http[0].match[0].uri", reason: "only one of exact, prefix or regex"),
    InvalidCase(name: "empty prefix", yaml: vs("http:\n- match:\n  - uri: {prefix: \"\"}\n  \(route)"), path: "spec.http[0].match[0].uri.prefix", reason: "should not be empty"),
    InvalidCase(name: "bad header name in match", yaml: vs("http:\n- match:\n  - headers:\n      \"bad header\": {exact: x}\n  \(route)"), path: "spec.http[0].match[0].headers[\"bad header\"]", reason: "not a valid header name"),
    InvalidCase(name: "port out of range in match", yaml: vs("http:\n- match:\n  - port: 70000\n  \(route)"), path: "spec.http[0].match[0].port", reason: "1..65535"),
    InvalidCase(name: "unknown retryOn", yaml: vs("http:\n- \(route)\n  retries: {attempts: 3, retryOn: \"5xx,sometimes\"}"), path: "spec.http[0].retries.retryOn", reason: "\"sometimes\" is not a valid retryOn policy"),
    InvalidCase(name: "retry policy with zero attempts", yaml: vs("http:\n- \(route)\n  retries: {attempts: 0, perTryTimeout: 2s}"), path: "spec.http[0].retries.attempts", reason: "attempts are set to 0"),
    InvalidCase(name: "sub-millisecond perTryTimeout", yaml: vs("http:\n- \(route)\n  retries: {attempts: 2, perTryTimeout: 500us}"), path: "spec.http[0].retries.perTryTimeout", reason: "at least 1ms"),
    InvalidCase(name: "fault percentage over 100", yaml: vs("http:\n- \(route)\n  fault:\n    abort: {httpStatus: 500, percentage: {value: 150}}"), path: "spec.http[0].fault.abort.percentage.value", reason: "[0.0001, 100]"),
    InvalidCase(name: "fault abort status out of range", yaml: vs("http:\n- \(route)\n  fault:\n    abort: {httpStatus: 700, percentage: {value: 10}}"), path: "spec.http[0].fault.abort.httpStatus", reason: "not in range 200-599"),
    InvalidCase(name: "empty fault", yaml: vs("http:\n- \(route)\n  fault: {}"), path: "spec.http[0].fault", reason: "abort and/or a delay"),
    InvalidCase(name: "redirect code not 3xx", yaml: vs("http:\n- redirect: {uri: /new, redirectCode: 200}"), path: "spec.http[0].redirect.redirectCode", reason: "must be 3xx"),
    InvalidCase(name: "direct response status", yaml: vs("http:\n- directResponse: {status: 99}"), path: "spec.http[0].directResponse.status", reason: "not in range 200-599"),
    InvalidCase(name: "wildcard host for the mesh", yaml: vs("http:\n- \(route)", hosts: "[\"*\"]"), path: "spec.hosts[0]", reason: "wildcard host * is not allowed"),
    InvalidCase(name: "wildcard in the middle of a host", yaml: vs("http:\n- \(route)", hosts: "[\"foo.*.com\"]"), path: "spec.hosts[0]", reason: "wildcard"),
    InvalidCase(name: "destination host *", yaml: vs("http:\n- route:\n  - destination: {host: \"*\"}"), path: "spec.http[0].route[0].destination.host", reason: "invalid destination host"),
    InvalidCase(name: "invalid subset name", yaml: vs("http:\n- route:\n  - destination: {host: reviews, subset: V_1}"), path: "spec.http[0].route[0].destination.subset", reason: "subset name is invalid"),
    InvalidCase(name: "gateway reference with empty name", yaml: vs("gateways: [\"istio-system/\"]\nhttp:\n- \(route)"), path: "spec.gateways[0]", reason: "cannot be empty"),
    InvalidCase(name: "setting a pseudo-header", yaml: vs("http:\n- \(route)\n  headers:\n    response:\n      set: {\":status\": \"200\"}"), path: "spec.http[0].headers.response.set[\":status\"]", reason: "cannot have \":\" prefix"),
    InvalidCase(name: "TLS route SNI outside hosts", yaml: vs("tls:\n- match:\n  - sniHosts: [other.example.com]\n  route:\n  - destination: {host: reviews}", hosts: "[reviews.example.com]"), path: "spec.tls[0].match[0].sniHosts[0]", reason: "not a compatible subset"),
    InvalidCase(name: "mirror percentage over 100", yaml: vs("http:\n- \(route)\n  mirror: {host: reviews-v2}\n  mirrorPercentage: {value: 101}"), path: "spec.http[0].mirrorPercentage.value", reason: "0..100"),
    // DestinationRule.
    InvalidCase(name: "duplicate subset names", yaml: dr("subsets:\n- {name: v1, labels: {version: v1}}\n- {name: v1, labels: {version: v2}}"), path: "spec.subsets[1].name", reason: "duplicate subset names"),
    InvalidCase(name: "empty traffic policy", yaml: dr("trafficPolicy: {}"), path: "spec.trafficPolicy", reason: "at least one field"),
    InvalidCase(name: "maxEjectionPercent over 100", yaml: dr("trafficPolicy:\n  outlierDetection: {maxEjectionPercent: 120}"), path: "spec.trafficPolicy.outlierDetection.maxEjectionPercent", reason: "0..100"),
    InvalidCase(name: "negative pending requests", yaml: dr("trafficPolicy:\n  connectionPool:\n    http: {http1MaxPendingRequests: -1}"), path: "spec.trafficPolicy.connectionPool.http.http1MaxPendingRequests", reason: "must not be negative"),
    InvalidCase(name: "cookie hash without name", yaml: dr("trafficPolicy:\n  loadBalancer:\n    consistentHash:\n      httpCookie: {ttl: 10s}"), path: "spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.name", reason: "name required"),
    InvalidCase(name: "maglev table size not prime", yaml: dr("trafficPolicy:\n  loadBalancer:\n    consistentHash:\n      useSourceIp: true\n      maglev: {tableSize: 1000}"), path: "spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize", reason: "prime"),
    InvalidCase(name: "locality distribute not summing to 100", yaml: dr("trafficPolicy:\n  loadBalancer:\n    localityLbSetting:\n      distribute:\n      - from: us-west/zone1/*\n        to: {\"us-west/zone1/*\": 80}"), path: "spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].to", reason: "!= 100"),
    InvalidCase(name: "port-level settings without a port", yaml: dr("trafficPolicy:\n  portLevelSettings:\n  - loadBalancer: {simple: RANDOM}"), path: "spec.trafficPolicy.portLevelSettings[0].port", reason: "must have valid port"),
    // Gateway.
    InvalidCase(name: "SIMPLE TLS without credentials", yaml: resource("Gateway", "networking.istio.io/v1", "servers:\n- port: {number: 443, name: https, protocol: HTTPS}\n  hosts: [\"*\"]\n  tls: {mode: SIMPLE}"), path: "spec.servers[0].tls.serverCertificate", reason: "SIMPLE TLS requires a credentialName"),
    InvalidCase(name: "HTTPS server without TLS", yaml: resource("Gateway", "networking.istio.io/v1", "servers:\n- port: {number: 443, name: https, protocol: HTTPS}\n  hosts: [\"*\"]"), path: "spec.servers[0].tls", reason: "must have TLS settings"),
    InvalidCase(name: "unknown gateway protocol", yaml: resource("Gateway", "networking.istio.io/v1", "servers:\n- port: {number: 80, name: http, protocol: HTTP3000}\n  hosts: [\"*\"]"), path: "spec.servers[0].port.protocol", reason: "invalid protocol"),
    InvalidCase(name: "gateway server without hosts", yaml: resource("Gateway", "networking.istio.io/v1", "servers:\n- port: {number: 80, name: http, protocol: HTTP}"), path: "spec.servers[0].hosts", reason: "at least one host"),
    InvalidCase(name: "gateway port out of range", yaml: resource("Gateway", "networking.istio.io/v1", "servers:\n- port: {number: 0, name: http, protocol: HTTP}\n  hosts: [\"*\"]"), path: "spec.servers[0].port.number", reason: "1..65535"),
    // ServiceEntry and Sidecar.
    InvalidCase(name: "service entry with no hosts", yaml: resource("ServiceEntry", "networking.istio.io/v1", "ports:\n- {number: 80, name: http, protocol: HTTP}"), path: "spec.hosts", reason: "at least one host"),
    InvalidCase(name: "service entry duplicate port", yaml: resource("ServiceEntry", "networking.istio.io/v1", "hosts: [a.example.com]\nresolution: DNS\nports:\n- {number: 80, name: http, protocol: HTTP}\n- {number: 80, name: http2, protocol: HTTP}"), path: "spec.ports[1].number", reason: "already defined"),
    InvalidCase(name: "CIDR address with DNS resolution", yaml: resource("ServiceEntry", "networking.istio.io/v1", "hosts: [a.example.com]\naddresses: [10.0.0.0/16]\nresolution: DNS\nports:\n- {number: 80, name: http, protocol: HTTP}"), path: "spec.addresses", reason: "CIDR addresses are allowed only"),
    InvalidCase(name: "sidecar egress host without namespace", yaml: resource("Sidecar", "networking.istio.io/v1", "egress:\n- hosts: [\"reviews.default.svc.cluster.local\"]"), path: "spec.egress[0].hosts[0]", reason: "namespace/dnsName"),
    InvalidCase(name: "empty sidecar", yaml: resource("Sidecar", "networking.istio.io/v1", "{}"), path: "spec", reason: "empty configuration"),
    // Security.
    InvalidCase(name: "unknown PeerAuthentication mode", yaml: resource("PeerAuthentication", "security.istio.io/v1", "mtls: {mode: STRICTER}"), path: "spec.mtls.mode", reason: "unknown value \"STRICTER\""),
    InvalidCase(name: "port-level mTLS without a selector", yaml: resource("PeerAuthentication", "security.istio.io/v1", "portLevelMtls:\n  \"8080\": {mode: DISABLE}"), path: "spec.portLevelMtls", reason: "cannot have port level mTLS"),
    InvalidCase(name: "DENY without rules", yaml: resource("AuthorizationPolicy", "security.istio.io/v1", "action: DENY"), path: "spec.rules", reason: "DENY action without `rules`"),
    InvalidCase(name: "empty source in a rule", yaml: resource("AuthorizationPolicy", "security.istio.io/v1", "rules:\n- from:\n  - source: {}"), path: "spec.rules[0].from[0].source", reason: "must not be empty"),
    InvalidCase(name: "principal with spiffe prefix", yaml: resource("AuthorizationPolicy", "security.istio.io/v1", "rules:\n- from:\n  - source: {principals: [\"spiffe://cluster.local/ns/default/sa/x\"]}"), path: "spec.rules[0].from[0].source.principals[0]", reason: "spiffe:// prefix"),
    InvalidCase(name: "invalid IP block", yaml: resource("AuthorizationPolicy", "security.istio.io/v1", "rules:\n- from:\n  - source: {ipBlocks: [\"10.0.0.300/8\"]}"), path: "spec.rules[0].from[0].source.ipBlocks[0]", reason: "not an IP address"),
    InvalidCase(name: "unknown condition key", yaml: resource("AuthorizationPolicy", "security.istio.io/v1", "rules:\n- when:\n  - key: request.colour\n    values: [red]"), path: "spec.rules[0].when[0].key", reason: "unknown attribute"),
    InvalidCase(name: "CUSTOM with principals (Istio's rule)", yaml: resource("AuthorizationPolicy", "security.istio.io/v1", "action: CUSTOM\nprovider: {name: ext-authz}\nrules:\n- from:\n  - source: {principals: [\"cluster.local/ns/a/sa/b\"]}"), path: "spec.rules[0].from[0].source.principals", reason: "not supported with CUSTOM action"),
    InvalidCase(name: "experimental Envoy filter keys are refused", yaml: resource("AuthorizationPolicy", "security.istio.io/v1", "rules:\n- when:\n  - key: experimental.envoy.filters.network.mysql_proxy[db.table]\n    values: [t]"), path: "spec.rules[0].when[0].key", reason: "not supported"),
    InvalidCase(name: "CUSTOM without provider", yaml: resource("AuthorizationPolicy", "security.istio.io/v1", "action: CUSTOM\nrules:\n- {}"), path: "spec.provider.name", reason: "must not be empty"),
    InvalidCase(name: "JWT rule without issuer", yaml: resource("RequestAuthentication", "security.istio.io/v1", "jwtRules:\n- jwksUri: https://example.com/jwks.json"), path: "spec.jwtRules[0].issuer", reason: "issuer must be set"),
    InvalidCase(name: "JWKS URI with a bad scheme", yaml: resource("RequestAuthentication", "security.istio.io/v1", "jwtRules:\n- issuer: a\n  jwksUri: ftp://example.com/jwks.json"), path: "spec.jwtRules[0].jwksUri", reason: "http or https"),
    InvalidCase(name: "inline JWKS that is not JSON", yaml: resource("RequestAuthentication", "security.istio.io/v1", "jwtRules:\n- issuer: a\n  jwks: \"not json\""), path: "spec.jwtRules[0].jwks", reason: "jwks parse error"),
    InvalidCase(name: "selector and targetRef together", yaml: resource("RequestAuthentication", "security.istio.io/v1", "selector: {matchLabels: {app: a}}\ntargetRef: {kind: Gateway, group: gateway.networking.k8s.io, name: g}"), path: "spec.targetRefs", reason: "only one of targetRefs or selector"),
    InvalidCase(name: "telemetry sampling over 100", yaml: resource("Telemetry", "telemetry.istio.io/v1", "tracing:\n- randomSamplingPercentage: 120"), path: "spec.tracing[0].randomSamplingPercentage", reason: "[0.0, 100.0]"),
    // Kubernetes kinds.
    InvalidCase(name: "service port out of range", yaml: "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec:\n  ports:\n  - {port: 70000, name: http}\n", path: "spec.ports[0].port", reason: "1..65535"),
    InvalidCase(name: "deployment selector not matching template", yaml: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec:\n  selector: {matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: b}}\n    spec:\n      containers: [{name: a, image: x}]\n", path: "spec.template.metadata.labels", reason: "selector does not match"),
    InvalidCase(name: "quantity that does not parse", yaml: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec:\n  selector: {matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: a}}\n    spec:\n      containers:\n      - name: a\n        resources: {limits: {cpu: lots}}\n", path: "spec.template.spec.containers[0].resources.limits.cpu", reason: "invalid quantity"),
    InvalidCase(name: "mesh config with an unknown field", yaml: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n  mesh: |\n    accessLogFile: /dev/stdout\n    enableTracin: true\n", path: "data.mesh.enableTracin", reason: "unknown field"),
    InvalidCase(name: "secret data not base64", yaml: "apiVersion: v1\nkind: Secret\nmetadata: {name: a}\ndata: {key: \"***\"}\n", path: "data.key", reason: "not valid base64"),
]

@Suite("Invalid documents")
struct InvalidDocumentTests {
    @Test("the table holds at least 40 cases")
    func tableSize() {
        #expect(invalidCases.count >= 40)
    }

    @Test("each invalid document is refused with its field path and reason", arguments: invalidCases)
    func refused(_ testCase: InvalidCase) {
        let reports = ConfigLoader.load(text: testCase.yaml, file: "case.yaml")
        #expect(reports.count == 1)
        guard let report = reports.first else { return }
        #expect(!report.isValid, "expected \(testCase.name) to be invalid")
        let matching = report.errors.filter { $0.path.description == testCase.path }
        #expect(!matching.isEmpty, "no error at \(testCase.path); errors: \(report.errors.map(\.description))")
        #expect(matching.contains { $0.message.contains(testCase.reason) }, "errors at \(testCase.path) do not say \"\(testCase.reason)\": \(matching.map(\.message))")
        #expect(report.errors.allSatisfy { $0.line > 0 }, "every error names a line")
    }
}
