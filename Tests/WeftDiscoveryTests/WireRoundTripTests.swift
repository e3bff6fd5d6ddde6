import Foundation
import SwiftProtobuf
import Testing
import WeftDiscovery
import WeftModel

/// Every model value survives the typed wire: model → message → bytes → message → model.
@Suite("typed wire")
struct WireRoundTripTests {
    /// A route with every field the model has set.
    static var fullRoute: RouteEntry {
        var match = RequestMatch(name: "jason")
        match.uri = StringMatcher(.prefix, "/api", ignoreCase: true)
        match.scheme = StringMatcher(.exact, "https")
        match.method = StringMatcher(.regex, "GET|POST")
        match.authority = StringMatcher(.exact, "reviews")
        match.headers = [NamedMatcher(name: "end-user", matcher: StringMatcher(.exact, "jason")), NamedMatcher(name: "x-debug", matcher: StringMatcher(.present), invert: true)]
        match.queryParams = [NamedMatcher(name: "v", matcher: StringMatcher(.regex, "[0-9]+"))]
        match.port = 9080
        var edits = HeaderEdits()
        edits.requestSet = ["a": "1", "b": "2"]
        edits.requestAdd = ["c": "3"]
        edits.requestRemove = ["d"]
        edits.responseSet = ["e": "5"]
        edits.responseAdd = ["f": "6"]
        edits.responseRemove = ["g", "h"]
        var policy = RoutePolicy()
        policy.timeoutMs = 2500
        policy.retry = RoutePolicy.Retry(attempts: 3, perTryTimeoutMs: 500, retryOn: ["5xx", "unavailable"])
        policy.fault = RoutePolicy.Fault(delayMs: 7000, delayPercent: 12.5, abortStatus: 503, abortGrpcStatus: "UNAVAILABLE", abortPercent: 0.1)
        policy.mirrors = [RoutePolicy.Mirror(cluster: "outbound|8000|v2|httpbin", percent: 50)]
        policy.rewrite = RoutePolicy.Rewrite(uriPrefix: "/v2", regexMatch: "^/a(.*)", regexReplacement: "/b\\1", authority: "new-host")
        policy.headers = edits
        policy.cors = RoutePolicy.CORS(allowOrigins: [StringMatcher(.exact, "https://a.example")], allowMethods: ["GET"], allowHeaders: ["x-a"], exposeHeaders: ["x-b"],
                                       maxAgeSeconds: 86400, allowCredentials: true, forwardUnmatchedPreflights: false)
        return RouteEntry(name: "r1", matches: [match, RequestMatch()],
                          action: .forward([WeightedCluster(cluster: "outbound|9080|v1|reviews", weight: 70, headers: edits), WeightedCluster(cluster: "outbound|9080|v3|reviews", weight: 30)]),
                          policy: policy)
    }

    static var fullCluster: ClusterConfig {
        var cluster = ClusterConfig(serviceHost: "reviews.default.svc.cluster.local", port: 9080, subset: "v1", subsetLabels: ["version": "v1"], loadBalancer: .leastRequest, connectTimeoutMs: 250)
        cluster.connectionPool.maxConnections = 1
        cluster.connectionPool.maxPendingRequests = 2
        cluster.connectionPool.maxRequestsPerConnection = 3
        cluster.connectionPool.maxRequests = 4
        cluster.connectionPool.maxRetries = 5
        cluster.connectionPool.idleTimeoutMs = 3_600_000
        cluster.connectionPool.tcpKeepalive = TCPKeepalive(probes: 3, timeSeconds: 7200, intervalSeconds: nil)
        cluster.connectionPool.proxyProtocol = .v2
        cluster.hashPolicy = HashPolicy(key: .cookie(name: "user", path: "/", ttlMs: 10_000), table: .maglev(size: 65537))
        cluster.warmup = WarmupPolicy(durationMs: 30_000, minimumPercent: 20, aggression: 1.5)
        cluster.outlierDetection = OutlierPolicy(consecutive5xxErrors: 0, consecutiveGatewayErrors: 3, consecutiveLocalOriginFailures: 4, splitLocalOrigin: true,
                                                 intervalMs: 1000, baseEjectionMs: 3000, maxEjectionPercent: 100, minHealthPercent: 50)
        cluster.tls = UpstreamTLS(mode: .mutual, sni: "reviews.example", subjectAltNames: ["spiffe://cluster.local/ns/default/sa/reviews", "reviews.example"],
                                  clientCertificate: "/etc/certs/cert.pem", privateKey: "/etc/certs/key.pem", caCertificates: "/etc/certs/ca.pem", insecureSkipVerify: true)
        cluster.tls.credentialName = "client-credential"
        cluster.tls.clientCertificatePEM = "-----BEGIN CERTIFICATE-----"
        cluster.tls.privateKeyPEM = "-----BEGIN PRIVATE KEY-----"
        cluster.tls.caCertificatesPEM = "-----BEGIN CERTIFICATE----- ca"
        cluster.serviceIdentities = ["spiffe://cluster.local/ns/default/sa/bookinfo-reviews"]
        return cluster
    }

    static var fullConfiguration: ProxyConfiguration {
        let table = RouteTable(name: "outbound", virtualHosts: [
            VirtualHostConfig(name: "reviews:9080", domains: ["reviews", "reviews.default.svc.cluster.local"], port: 9080, routes: [fullRoute]),
            VirtualHostConfig(name: "https-redirect", domains: ["myapp.company.com"], port: nil, routes: [], requireTLS: true),
            VirtualHostConfig(name: "redirects", domains: ["*"], port: nil, routes: [
                RouteEntry(name: "moved", matches: [], action: .redirect(RedirectAction(uri: "/new", authority: "b", scheme: "https", port: 8443, derivePortFromRequest: true, code: 308))),
                RouteEntry(name: "teapot", matches: [], action: .directResponse(status: 418, body: "short and stout")),
                RouteEntry(name: "empty", matches: [], action: .directResponse(status: 204, body: nil)),
            ]),
        ], fallback: .blackhole)
        var plain = ClusterConfig(serviceHost: "ratings.default.svc.cluster.local", port: 9080, subset: nil)
        plain.http2 = true
        plain.useClientProtocol = true
        plain.dnsLookup = .strict
        plain.meshExternal = true
        plain.serviceAddresses = ["240.240.1.7", "10.96.0.12"]
        plain.serviceProtocol = "TCP"
        plain.connectionPool.maxConcurrentStreams = 8
        plain.connectionPool.maxConnectionDurationMs = 90_000
        plain.hashPolicy = HashPolicy(key: .sourceIP, table: .ring(minimumSize: 1024))
        var headerHash = plain
        headerHash.name = "header-hash"
        headerHash.hashPolicy = HashPolicy(key: .header("x-user"), table: .ring(minimumSize: 2048))
        var queryHash = plain
        queryHash.name = "query-hash"
        queryHash.hashPolicy = HashPolicy(key: .queryParameter("u"), table: .maglev(size: 251))
        let endpoints = EndpointGroup(cluster: fullCluster.name, endpoints: [
            EndpointGroup.Endpoint(address: "127.0.10.1", port: 9080, labels: ["version": "v1"], locality: "us-east/a", weight: 2, workload: "reviews-v1", priority: 1, localityWeight: 80,
                                   identity: "spiffe://cluster.local/ns/default/sa/bookinfo-reviews"),
            EndpointGroup.Endpoint(address: "127.0.10.2", port: 9080, labels: [:], locality: "", weight: 1, workload: "reviews-v1b"),
        ])
        var egress = ListenerConfig(name: "egress|6379", port: 6379, direction: .egress, protocolName: "TCP", hosts: ["./redis.default.svc.cluster.local"])
        egress.tcpDestinations = [WeightedCluster(cluster: "outbound|6379|v1|redis.default.svc.cluster.local", weight: 80),
                                  WeightedCluster(cluster: "outbound|6379|v2|redis.default.svc.cluster.local", weight: 20)]
        egress.sniRoutes = [SNIRoute(sniHosts: ["a.example.com", "*.b.example.com"], destinations: [WeightedCluster(cluster: "outbound|8443||tls-a.default.svc.cluster.local", weight: 100)])]
        var tcpInbound = ListenerConfig(name: "inbound|6379", port: 6379, direction: .inbound, protocolName: "TCP", hosts: ["redis.default.svc.cluster.local"], appPort: 6379)
        tcpInbound.peerAuthentication = .strict
        var https = ListenerConfig(name: "0.0.0.0_8443", port: 8443, direction: .gateway, protocolName: "HTTPS", routeTable: "http.8443", hosts: ["a.example.com"])
        var simple = GatewayServerTLS(serverNames: ["a.example.com", "*.b.example.com"], mode: .mutual)
        simple.certificateChain = "-----BEGIN CERTIFICATE-----"
        simple.privateKey = "-----BEGIN PRIVATE KEY-----"
        simple.caCertificates = "ca"
        simple.certificateChainFile = "/etc/cert.pem"
        simple.privateKeyFile = "/etc/key.pem"
        simple.caCertificatesFile = "/etc/ca.pem"
        simple.subjectAltNames = ["client.example.com"]
        simple.verifyCertificateSpki = ["spki"]
        simple.verifyCertificateHash = ["ab:cd"]
        simple.minimumVersion = "TLSV1_2"
        simple.maximumVersion = "TLSV1_3"
        simple.cipherSuites = ["ECDHE-ECDSA-AES128-GCM-SHA256"]
        simple.credentialName = "a-cert"
        simple.credentialError = "expired"
        https.serverTLS = [simple, GatewayServerTLS(serverNames: ["*"], mode: .passthrough), GatewayServerTLS(serverNames: ["c"], mode: .optionalMutual),
                           GatewayServerTLS(serverNames: ["d"], mode: .istioMutual), GatewayServerTLS(serverNames: ["e"], mode: .simple)]
        egress.bindAddress = "127.0.0.1"
        https.tracing = TracingConfig(collector: SpanCollector(address: "otel.observability:4318", protocol: .otlpHTTP, path: "/custom/traces",
                                                               headers: [.init(name: "x-tenant", value: "weft")], timeoutMs: 250, environmentResource: true),
                                      sampling: 12.5)
        var authorizer = ExternalAuthorizer(name: "sample-ext-authz-http", address: "ext-authz.foo.svc.cluster.local:8000")
        authorizer.pathPrefix = "/check"
        authorizer.includeRequestHeaders = ["x-ext-authz"]
        authorizer.additionalHeaders = [.init(name: "x-source", value: "weft")]
        authorizer.headersToUpstreamOnAllow = ["x-ext-authz-check-result"]
        authorizer.headersToDownstreamOnAllow = ["x-a"]
        authorizer.headersToDownstreamOnDeny = ["x-b"]
        authorizer.statusOnError = 503
        authorizer.failOpen = true
        authorizer.timeoutMs = 250
        var unusable = ExternalAuthorizer(name: "zipkin", address: "")
        unusable.unusable = "\"zipkin\" is not an envoyExtAuthzHttp or envoyExtAuthzGrpc provider"
        var grpc = ExternalAuthorizer(name: "sample-ext-authz-grpc", address: "ext-authz.foo.svc.cluster.local:9000")
        grpc.api = .grpc
        grpc.timeoutMs = 300
        grpc.requestBody = ExternalAuthorizer.RequestBody(maxBytes: 2048, allowPartial: true, packAsBytes: true)
        tcpInbound.authorization = [
            AuthorizationPolicyConfig(name: "foo/ext-authz", action: .custom, rules: [AuthorizationRule()], provider: authorizer),
            AuthorizationPolicyConfig(name: "foo/ext-authz-zipkin", action: .custom, dryRun: true, rules: [AuthorizationRule()], provider: unusable),
            AuthorizationPolicyConfig(name: "foo/ext-authz-grpc", action: .custom, rules: [AuthorizationRule()], provider: grpc),
        ]
        tcpInbound.tracing = TracingConfig(collector: SpanCollector(address: "otel:4317", protocol: .otlpGRPC), sampling: 100)
        var pooled = ListenerConfig(name: "inbound|9081", port: 9081, direction: .inbound, appPort: 9081)
        pooled.appConnectionPool = ConnectionPoolPolicy(maxConnections: 1, maxPendingRequests: 2, maxRequestsPerConnection: 3, idleTimeoutMs: 4000)
        return ProxyConfiguration(version: "12.3", listeners: [
            ListenerConfig(name: "outbound", port: 15001, direction: .outbound, routeTable: "outbound"),
            egress, tcpInbound, https, pooled,
            ListenerConfig(name: "inbound|9080", port: 9080, direction: .inbound, appPort: 9080),
            ListenerConfig(name: "inbound|9443", port: 9443, direction: .inbound, appPort: 9443, peerAuthentication: .strict),
            ListenerConfig(name: "inbound|9090", port: 9090, direction: .inbound, appPort: 9090, peerAuthentication: .disable),
            ListenerConfig(name: "0.0.0.0_8080", port: 8080, direction: .gateway, routeTable: "http.8080", hosts: ["*", "bookinfo.example"]),
        ], routeTables: [table, RouteTable(name: "http.8080", virtualHosts: [], fallback: .notFound)],
           clusters: [fullCluster, plain, headerHash, queryHash], endpoints: [endpoints, EndpointGroup(cluster: plain.name, endpoints: [])])
    }

    /// Decodes a configuration's wire resources the way a proxy does.
    static func decode(_ resources: [(typeURL: String, resources: [DiscoveryTypes.WireResource])]) throws -> ProxyConfiguration {
        var config = ProxyConfiguration(version: "12.3", routeTables: [], clusters: [], endpoints: [])
        for (typeURL, items) in resources {
            for item in items {
                switch typeURL {
                case DiscoveryTypes.clusters: config.clusters.append(try ClusterConfig(wire: DiscoveryTypes.decode(Weft_Discovery_V1_Cluster.self, from: item.payload)))
                case DiscoveryTypes.endpoints: config.endpoints.append(EndpointGroup(wire: try DiscoveryTypes.decode(Weft_Discovery_V1_EndpointGroup.self, from: item.payload)))
                case DiscoveryTypes.listeners: config.listeners.append(try ListenerConfig(wire: DiscoveryTypes.decode(Weft_Discovery_V1_Listener.self, from: item.payload)))
                case DiscoveryTypes.routes: config.routeTables.append(try RouteTable(wire: DiscoveryTypes.decode(Weft_Discovery_V1_RouteTable.self, from: item.payload)))
                default: Issue.record("unexpected type \(typeURL)")
                }
            }
        }
        return config
    }

    @Test("a configuration with every field set comes back equal, and its bytes are the same every time")
    func roundTrip() throws {
        let config = Self.fullConfiguration
        let wire = DiscoveryTypes.resources(of: config)
        #expect(wire.map(\.typeURL) == DiscoveryTypes.all)
        #expect(try Self.decode(wire) == config)
        for _ in 0..<5 {
            #expect(DiscoveryTypes.resources(of: config).map(\.resources) == wire.map(\.resources), "map fields are written in a deterministic order")
        }
    }

    /// Appends a length-delimited field with a number this build's messages lack, as a newer build would write it.
    static func withUnknownField(_ payload: Data, number: Int = 10_000) -> Data {
        func varint(_ value: Int) -> [UInt8] {
            var value = UInt64(value)
            var bytes: [UInt8] = []
            repeat {
                var byte = UInt8(value & 0x7f)
                value >>= 7
                if value != 0 { byte |= 0x80 }
                bytes.append(byte)
            } while value != 0
            return bytes
        }
        let text = Array("from a newer control plane".utf8)
        return payload + Data(varint(number << 3 | 2) + varint(text.count) + text)
    }

    @Test("fields this build does not know are ignored: the resource decodes to the same value")
    func unknownFieldsIgnored() throws {
        let wire = DiscoveryTypes.resources(of: Self.fullConfiguration).map { entry in
            (typeURL: entry.typeURL, resources: entry.resources.map { DiscoveryTypes.WireResource(name: $0.name, payload: Self.withUnknownField($0.payload)) })
        }
        #expect(try Self.decode(wire) == Self.fullConfiguration)
        let cluster = try DiscoveryTypes.decode(Weft_Discovery_V1_Cluster.self, from: Self.withUnknownField(DiscoveryTypes.resources(of: Self.fullConfiguration)[0].resources[0].payload))
        #expect(!cluster.unknownFields.data.isEmpty, "kept aside, not dropped")
    }

    @Test("what the proxy cannot use is refused with a reason: an unknown enum value, a route without an action, garbage bytes")
    func refusals() throws {
        var listener = Weft_Discovery_V1_Listener(ListenerConfig(name: "x", port: 80, direction: .gateway))
        listener.direction = .UNRECOGNIZED(7)
        #expect(throws: WireError.self) { try ListenerConfig(wire: listener) }
        var route = Weft_Discovery_V1_RouteTable(RouteTable(name: "outbound", virtualHosts: [VirtualHostConfig(name: "h", domains: ["*"], port: nil, routes: [Self.fullRoute])], fallback: .passthrough))
        route.virtualHosts[0].routes[0].action = nil
        do {
            _ = try RouteTable(wire: route)
            Issue.record("a route without an action was accepted")
        } catch {
            #expect(error.description.contains("route r1 has no action"))
        }
        #expect(throws: WireError.self) { try DiscoveryTypes.decode(Weft_Discovery_V1_Cluster.self, from: Data([0xff, 0xff, 0xff])) }
    }
}
