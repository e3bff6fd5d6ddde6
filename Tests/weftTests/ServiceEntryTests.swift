import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// ServiceEntry's semantics as Istio gives them: `resolution` DNS (every address of the name an
/// endpoint) and DNS_ROUND_ROBIN (the first address, connections kept), `endpoints` with ports,
/// labels, locality and weight, `location`, `exportTo`. The services behind the entries are echo
/// apps without sidecars, each on a loopback address of its own.
@Suite("ServiceEntry semantics", .serialized)
struct ServiceEntryTests {
    /// An echo app outside the mesh on `address:port`, answering with `name`.
    static func startBackend(_ mesh: MeshHarness, name: String, address: String, port: Int) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // SIGTERM reset: the test runner ignores it, and an ignored signal survives exec.
        process.arguments = ["--default-signal=TERM", "python3", MeshHarness.fixtures.appendingPathComponent("echo_app.py").path]
        process.environment = ProcessInfo.processInfo.environment.merging(["APP_NAME": name, "WEFT_APP_ADDRESS": address, "PORT": String(port)]) { _, new in new }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        mesh.adopt(process)
        try mesh.waitUntil("\(name) listens on \(address):\(port)") { (try? Data(contentsOf: URL(string: "http://\(address):\(port)/")!)) != nil }
        return process
    }

    static func loopbackAddress() -> String { "127.0.\(Int.random(in: 40...250)).\(Int.random(in: 2...250))" }

    /// Which backends answered `count` requests through the client's sidecar.
    static func answers(_ mesh: MeshHarness, client: String, _ url: String, count: Int) throws -> [String: Int] {
        var names: [String: Int] = [:]
        for _ in 0..<count {
            let (status, body) = try mesh.curl(through: client, url)
            let name = status == 200 ? ((try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?["name"] as? String ?? "?") : "status \(status)"
            names[name, default: 0] += 1
        }
        return names
    }

    @Test("resolution DNS spreads calls over every address the name has and follows the answer when it changes; DNS_ROUND_ROBIN sends new connections to the first address and keeps its open connections across answers")
    func dnsResolution() throws {
        let mesh = try MeshHarness()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("weft-se-dns-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let (a, b, c) = (Self.loopbackAddress(), Self.loopbackAddress(), Self.loopbackAddress())
        let dns = try TestDNSServer(directory: directory, records: ["strict.example": [a, b], "logical.example": [a, b]])
        defer {
            mesh.stopWorkloads()
            dns.stop()
            try? FileManager.default.removeItem(at: directory)
        }
        let port = try FreePort.find()
        let backendA = try Self.startBackend(mesh, name: "a", address: a, port: port)
        _ = try Self.startBackend(mesh, name: "b", address: b, port: port)
        _ = try Self.startBackend(mesh, name: "c", address: c, port: port)
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: strict}
        spec:
          hosts: [strict.example]
          resolution: DNS
          ports: [{number: \(port), name: http, protocol: HTTP}]
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: logical}
        spec:
          hosts: [logical.example]
          resolution: DNS_ROUND_ROBIN
          ports: [{number: \(port), name: http, protocol: HTTP}]
        """).status == 0)
        let client = try mesh.startClient(environment: dns.environment)
        try mesh.waitForEndpoints(proxy: "client", cluster: "outbound|\(port)||logical.example", count: 1)

        let id = try #require(mesh.controlPlane.proxies().first { $0.id.hasPrefix("client-") }?.id)
        let shown = try mesh.controlPlane.weft(["proxy-config", "clusters", id]).stdout
        #expect(shown.split(separator: "\n").contains { $0.contains("||strict.example") && $0.contains("STRICT_DNS") }
                && shown.split(separator: "\n").contains { $0.contains("||logical.example") && $0.contains("LOGICAL_DNS") }, "\(shown)")

        let strict = try Self.answers(mesh, client: client, "http://strict.example:\(port)/", count: 20)
        #expect(strict["a", default: 0] >= 8 && strict["b", default: 0] >= 8 && strict.count == 2, "both addresses of the name serve: \(strict)")
        let logical = try Self.answers(mesh, client: client, "http://logical.example:\(port)/", count: 10)
        #expect(logical == ["a": 10], "the first address only: \(logical)")

        // Both names move to c. The sidecar keeps idle connections to a and b from the calls above.
        try dns.answer(["strict.example": [c], "logical.example": [c]])
        try mesh.waitUntil("after the TTL, strict.example's calls go to c", timeout: 10) {
            (try? mesh.curl(through: client, "http://strict.example:\(port)/").1.contains("\"c\"")) == true
        }
        let moved = try Self.answers(mesh, client: client, "http://strict.example:\(port)/", count: 10)
        #expect(moved == ["c": 10], "the old addresses' open connections are not used again: \(moved)")
        let kept = try Self.answers(mesh, client: client, "http://logical.example:\(port)/", count: 5)
        #expect(kept == ["a": 5], "DNS_ROUND_ROBIN keeps its open connection to a across the new answer: \(kept)")
        // Once that connection is gone, the next one goes to the name's first address now.
        backendA.terminate()
        try mesh.waitUntil("logical.example's new connection goes to c", timeout: 10) {
            (try? mesh.curl(through: client, "http://logical.example:\(port)/").1.contains("\"c\"")) == true
        }
    }

    @Test("STATIC endpoints: weights share the calls (3:1), ports map the service port to each endpoint's own, labels make DestinationRule subsets, locality keeps calls in the caller's zone")
    func staticEndpoints() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        let (heavy, light) = (Self.loopbackAddress(), Self.loopbackAddress())
        let heavyPort = try FreePort.find(), lightPort = try FreePort.find()
        _ = try Self.startBackend(mesh, name: "heavy", address: heavy, port: heavyPort)
        _ = try Self.startBackend(mesh, name: "light", address: light, port: lightPort)
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: weighted}
        spec:
          hosts: [weighted.example]
          location: MESH_EXTERNAL
          resolution: STATIC
          ports: [{number: 8000, name: http, protocol: HTTP}]
          endpoints:
          - {address: \(heavy), ports: {http: \(heavyPort)}, weight: 3, labels: {version: v1}, locality: region1/zone1}
          - {address: \(light), ports: {http: \(lightPort)}, weight: 1, labels: {version: v2}, locality: region2/zone2}
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: zoned}
        spec:
          hosts: [zoned.example]
          resolution: STATIC
          ports: [{number: 8000, name: http, protocol: HTTP}]
          endpoints:
          - {address: \(heavy), ports: {http: \(heavyPort)}, locality: region1/zone1}
          - {address: \(light), ports: {http: \(lightPort)}, locality: region2/zone2}
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: weighted}
        spec:
          host: weighted.example
          subsets:
          - {name: v2, labels: {version: v2}}
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: zoned}
        spec:
          host: zoned.example
          trafficPolicy:
            outlierDetection: {consecutive5xxErrors: 5, interval: 10s, baseEjectionTime: 30s}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: weighted-v2}
        spec:
          hosts: [weighted.example]
          http:
          - match: [{headers: {x-subset: {exact: v2}}}]
            route: [{destination: {host: weighted.example, subset: v2}}]
          - route: [{destination: {host: weighted.example}}]
        """).status == 0)
        let client = try mesh.startClient(labels: "topology.kubernetes.io/region=region1,topology.kubernetes.io/zone=zone1")
        try mesh.waitForEndpoints(proxy: "client", cluster: "outbound|8000||zoned.example", count: 2)

        let shares = try Self.answers(mesh, client: client, "http://weighted.example:8000/", count: 40)
        #expect(shares == ["heavy": 30, "light": 10], "weights 3 and 1: \(shares)")
        var subset: [String: Int] = [:]
        for _ in 0..<5 {
            let (status, body) = try mesh.curl(through: client, "http://weighted.example:8000/", headers: ["x-subset: v2"])
            subset[status == 200 && body.contains("\"light\"") ? "light" : "other \(status)", default: 0] += 1
        }
        #expect(subset == ["light": 5], "the v2 subset is the endpoint labelled v2: \(subset)")
        let zoned = try Self.answers(mesh, client: client, "http://zoned.example:8000/", count: 10)
        #expect(zoned == ["heavy": 10], "the endpoint in the caller's zone takes every call: \(zoned)")
    }

    @Test("location: a MESH_INTERNAL entry selecting a workload with a sidecar (workloadSelector) is reached over mutual TLS under STRICT; as MESH_EXTERNAL the same entry gets no auto mutual TLS, and the STRICT sidecar refuses it")
    func location() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        try mesh.startEcho(name: "legacy-v1", labels: "app=legacy")
        func entry(_ location: String) -> String {
            """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: legacy}
            spec:
              hosts: [legacy.internal]
              location: \(location)
              resolution: STATIC
              ports: [{number: 9080, name: http, protocol: HTTP}]
              workloadSelector: {labels: {app: legacy}}
            """
        }
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: """
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: default, namespace: istio-system}
        spec: {mtls: {mode: STRICT}}
        ---
        \(entry("MESH_INTERNAL"))
        """).status == 0)
        let client = try mesh.startClient()
        try mesh.waitForEndpoints(proxy: "client", cluster: "outbound|9080||legacy.internal", count: 1)
        try mesh.waitUntil("the entry's workload answers over mutual TLS") { (try? mesh.curl(through: client, "http://legacy.internal:9080/").0) == 200 }
        let inside = try mesh.curl(through: client, "http://legacy.internal:9080/")
        #expect(inside.0 == 200 && inside.1.contains("legacy-v1") && inside.1.lowercased().contains("x-forwarded-client-cert"), "mutual TLS carried it: \(inside)")

        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: entry("MESH_EXTERNAL")).status == 0)
        try mesh.waitUntil("as MESH_EXTERNAL the call goes in plaintext, which STRICT refuses") {
            (try? mesh.curl(through: client, "http://legacy.internal:9080/").0) == 503
        }
        let clusters = try mesh.controlPlane.configuration(of: try #require(mesh.controlPlane.proxies().first { $0.id.hasPrefix("client-") }?.id)).endpoints
        let endpoint = clusters.first { $0.cluster == "outbound|9080||legacy.internal" }?.endpoints.first
        #expect(endpoint != nil && endpoint?.identity == nil, "no mesh identity on an external entry's endpoint: \(String(describing: endpoint))")
    }

    @Test("exportTo: an entry exported to its own namespace ('.') is in the configuration of that namespace's proxies only")
    func exportTo() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: """
        apiVersion: v1
        kind: Namespace
        metadata: {name: billing}
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: ledger, namespace: billing}
        spec:
          hosts: [ledger.example]
          exportTo: ["."]
          resolution: STATIC
          ports: [{number: 80, name: http, protocol: HTTP}]
          endpoints: [{address: 127.0.0.1}]
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: shared, namespace: billing}
        spec:
          hosts: [shared.example]
          resolution: STATIC
          ports: [{number: 80, name: http, protocol: HTTP}]
          endpoints: [{address: 127.0.0.1}]
        """).status == 0)
        _ = try mesh.startClient()
        _ = try mesh.startClient(name: "biller", namespace: "billing")
        let proxies = try mesh.controlPlane.proxies()
        func clusters(_ prefix: String) throws -> Set<String> {
            let id = try #require(proxies.first { $0.id.hasPrefix(prefix) }?.id)
            return Set(try mesh.controlPlane.configuration(of: id).clusters.map(\.name))
        }
        let inDefault = try clusters("client-"), inBilling = try clusters("biller-")
        #expect(inBilling.contains("outbound|80||ledger.example") && inBilling.contains("outbound|80||shared.example"), "\(inBilling)")
        #expect(!inDefault.contains("outbound|80||ledger.example") && inDefault.contains("outbound|80||shared.example"), "\(inDefault)")
    }
}
