import Testing
import WeftAPI
import WeftControlPlane
import WeftModel
import WeftTesting

/// PeerAuthentication precedence and auto mutual TLS, as simulations: YAML in, what each proxy's
/// inbound listeners accept and how its clusters reach each endpoint out.
@Suite("mutual TLS translation")
struct MutualTLSTranslationTests {
    static let services = """
    apiVersion: v1
    kind: Service
    metadata: {name: httpbin, namespace: foo}
    spec:
      selector: {app: httpbin}
      ports: [{name: http, port: 8000, targetPort: 8080}]
    """

    static func httpbin(_ namespace: String = "foo", sidecar: Bool = true) -> WorkloadInstance {
        WorkloadInstance(name: "httpbin", namespace: namespace, labels: ["app": "httpbin"], serviceAccount: "httpbin", address: "127.0.20.1",
                         origin: sidecar ? .sidecar : .workloadEntry)
    }

    static let server = ProxyIdentity(id: "httpbin-1", namespace: "foo", labels: ["app": "httpbin"], serviceAccount: "httpbin", ports: ["http": 8080, "admin": 9090])
    static let client = ProxyIdentity(id: "sleep-1", namespace: "foo", labels: ["app": "sleep"], serviceAccount: "sleep")

    static func mode(_ yaml: String, port: Int = 8080) throws -> PeerAuthenticationMode? {
        let simulation = try Simulation(yaml: services + "\n---\n" + yaml, workloads: [httpbin()])
        return simulation.listeners(for: server).first { $0.port == port }?.peerAuthentication
    }

    static func policy(_ name: String, namespace: String, mode: String, selector: String? = nil, ports: String? = nil) -> String {
        var text = "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: \(name), namespace: \(namespace)}\nspec:\n  mtls: {mode: \(mode)}\n"
        if let selector { text += "  selector: {matchLabels: {\(selector)}}\n" }
        if let ports { text += "  portLevelMtls: {\(ports)}\n" }
        return text
    }

    @Test("precedence: nothing is PERMISSIVE; mesh < namespace < workload < port level; UNSET inherits; another namespace's policy does nothing")
    func precedence() throws {
        #expect(try Self.mode("") == .permissive)
        #expect(try Self.mode(Self.policy("default", namespace: "istio-system", mode: "STRICT")) == .strict)
        #expect(try Self.mode(Self.policy("default", namespace: "istio-system", mode: "STRICT") + "---\n" + Self.policy("default", namespace: "foo", mode: "PERMISSIVE")) == .permissive)
        #expect(try Self.mode(Self.policy("default", namespace: "foo", mode: "STRICT") + "---\n" + Self.policy("w", namespace: "foo", mode: "DISABLE", selector: "app: httpbin")) == .disable)
        #expect(try Self.mode(Self.policy("default", namespace: "foo", mode: "STRICT") + "---\n" + Self.policy("w", namespace: "foo", mode: "UNSET", selector: "app: httpbin")) == .strict)
        #expect(try Self.mode(Self.policy("w", namespace: "foo", mode: "STRICT", selector: "app: httpbin", ports: "8080: {mode: DISABLE}")) == .disable)
        #expect(try Self.mode(Self.policy("w", namespace: "foo", mode: "STRICT", selector: "app: httpbin", ports: "8080: {mode: DISABLE}"), port: 9090) == .strict)
        #expect(try Self.mode(Self.policy("w", namespace: "foo", mode: "STRICT", selector: "app: other")) == .permissive)
        #expect(try Self.mode(Self.policy("default", namespace: "bar", mode: "STRICT")) == .permissive)
    }

    @Test("auto mTLS: an endpoint with a sidecar carries its identity, one without none, one whose policy disables mTLS none; clusters list the service's identities")
    func autoMutualTLS() throws {
        let endpoints = { (yaml: String, workload: WorkloadInstance) throws -> [EndpointGroup.Endpoint] in
            try Simulation(yaml: Self.services + "\n---\n" + yaml, workloads: [workload]).endpoints(for: Self.client, cluster: "outbound|8000||httpbin.foo.svc.cluster.local")
        }
        #expect(try endpoints("", Self.httpbin()).map(\.identity) == ["spiffe://cluster.local/ns/foo/sa/httpbin"])
        #expect(try endpoints("", Self.httpbin(sidecar: false)).map(\.identity) == [nil])
        #expect(try endpoints(Self.policy("w", namespace: "foo", mode: "DISABLE", selector: "app: httpbin"), Self.httpbin()).map(\.identity) == [nil])
        #expect(try endpoints(Self.policy("w", namespace: "foo", mode: "STRICT", selector: "app: httpbin", ports: "8080: {mode: DISABLE}"), Self.httpbin()).map(\.identity) == [nil])
        var labelled = Self.httpbin(sidecar: false)
        labelled.labels["security.istio.io/tlsMode"] = "istio"
        #expect(try endpoints("", labelled).map(\.identity) == ["spiffe://cluster.local/ns/foo/sa/httpbin"], "Istio's tlsMode label marks a sidecar")
        let cluster = try Simulation(yaml: Self.services, workloads: [Self.httpbin()]).clusters(for: Self.client).first { $0.serviceHost == "httpbin.foo.svc.cluster.local" }
        #expect(cluster?.serviceIdentities == ["spiffe://cluster.local/ns/foo/sa/httpbin"])
        #expect(cluster?.tls == .auto)
    }

    @Test("DestinationRule tls becomes the cluster's: ISTIO_MUTUAL with SANs, DISABLE, a subset's own, a port level's own")
    func destinationRuleTLS() throws {
        let rule = """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: httpbin, namespace: foo}
        spec:
          host: httpbin.foo.svc.cluster.local
          trafficPolicy:
            tls: {mode: ISTIO_MUTUAL, subjectAltNames: ["spiffe://cluster.local/ns/foo/sa/other"]}
          subsets:
          - name: plain
            labels: {app: httpbin}
            trafficPolicy: {tls: {mode: DISABLE}}
          - name: origin
            labels: {app: httpbin}
            trafficPolicy:
              tls: {mode: SIMPLE, sni: httpbin.example, caCertificates: /etc/ca.pem}
        """
        let clusters = try Simulation(yaml: Self.services + "\n---\n" + rule, workloads: [Self.httpbin()]).clusters(for: Self.client)
        let byName = Dictionary(clusters.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byName["outbound|8000||httpbin.foo.svc.cluster.local"]?.tls == UpstreamTLS(mode: .istioMutual, subjectAltNames: ["spiffe://cluster.local/ns/foo/sa/other"]))
        #expect(byName["outbound|8000|plain|httpbin.foo.svc.cluster.local"]?.tls == UpstreamTLS(mode: .disable))
        #expect(byName["outbound|8000|origin|httpbin.foo.svc.cluster.local"]?.tls == UpstreamTLS(mode: .simple, sni: "httpbin.example", caCertificates: "/etc/ca.pem"))
    }
}
