import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// The rest of the Sidecar resource: an ingress listener's own `tls`, `inboundConnectionPool`,
/// egress `bind` and `captureMode`, and the root namespace's default Sidecar.
@Suite("Sidecar resource", .serialized)
struct SidecarResourceTests {
    static func podIP(_ mesh: MeshHarness, _ prefix: String) throws -> String {
        var address = ""
        try mesh.waitUntil("\(prefix) is synced") {
            guard let proxy = (try? mesh.controlPlane.proxies())?.first(where: { $0.id.hasPrefix(prefix) && $0.state == "SYNCED" }) else { return false }
            address = proxy.podIP
            return true
        }
        return address
    }

    @Test("an ingress listener's own tls (SIMPLE, the app behind defaultEndpoint) serves a caller from outside the mesh over HTTPS with the listener's certificate, under mesh-wide STRICT mutual TLS")
    func ingressTLS() throws {
        let certificates = try TestCertificates(prefix: "weft-sidecar-tls")
        defer { certificates.remove() }
        try certificates.makeCA("ca", commonName: "ingress-ca")
        try certificates.makeLeaf("server", subjectAltName: "DNS:secure.example")
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: """
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: default, namespace: istio-system}
        spec: {mtls: {mode: STRICT}}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: secure}
        spec:
          selector: {app: secure}
          ports: [{name: https, port: 9443}]
        ---
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: secure}
        spec:
          workloadSelector: {labels: {app: secure}}
          ingress:
          - port: {number: 9443, protocol: HTTPS, name: external}
            defaultEndpoint: 127.0.0.1:8080
            tls: {mode: SIMPLE, serverCertificate: \(certificates.path("server.pem")), privateKey: \(certificates.path("server.key"))}
        """).status == 0)
        try mesh.startApp(name: "secure-v1", labels: "app=secure", port: 9443,
                          command: ["sh", "-c", "PORT=8080 exec python3 \(MeshHarness.fixtures.appendingPathComponent("echo_app.py").path)"])
        let pod = try Self.podIP(mesh, "secure-v1")
        func callFromOutside() throws -> (Int, String) {
            let result = try WeftProcess.runTool("curl", ["-s", "-m", "5", "--cacert", certificates.path("ca.pem"), "--resolve", "secure.example:9443:\(pod)",
                                                          "-w", "\n%{http_code}", "https://secure.example:9443/hello"])
            let lines = result.split(separator: "\n", omittingEmptySubsequences: false)
            return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
        }
        try mesh.waitUntil("the listener terminates TLS with its own certificate") { (try? callFromOutside().0) == 200 }
        let answer = try callFromOutside()
        #expect(answer.0 == 200 && answer.1.contains("secure-v1") && answer.1.contains("/hello"), "\(answer)")
        let plaintext = try WeftProcess.runTool("curl", ["-s", "-m", "5", "-o", "/dev/null", "-w", "%{http_code}", "http://\(pod):9443/"])
        #expect(plaintext == "000", "plaintext is not served on the TLS port: \(plaintext)")
    }

    @Test("inboundConnectionPool (maxConnections 1, http1MaxPendingRequests 1) bounds the sidecar's connections to its app: of 4 callers at once some get 503, each counted as the inbound cluster's pending overflow")
    func inboundConnectionPool() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: """
        apiVersion: v1
        kind: Service
        metadata: {name: slow}
        spec:
          selector: {app: slow}
          ports: [{name: http, port: 9080}]
        ---
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: slow}
        spec:
          workloadSelector: {labels: {app: slow}}
          inboundConnectionPool:
            tcp: {maxConnections: 1}
            http: {http1MaxPendingRequests: 1}
        """).status == 0)
        try mesh.startEcho(name: "slow-v1", labels: "app=slow")
        let pod = try Self.podIP(mesh, "slow-v1")
        try mesh.waitUntil("the app answers") { (try? WeftProcess.runTool("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://\(pod):9080/"])) == "200" }
        var environment = ProcessInfo.processInfo.environment
        for name in ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"] { environment[name] = nil }
        let load = Process()
        load.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        load.arguments = ["python3", MeshHarness.fixtures.appendingPathComponent("concurrent_client.py").path, "http://\(pod):9080/delay/1", "4", "8"]
        load.environment = environment
        let output = Pipe()
        load.standardOutput = output
        try load.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        load.waitUntilExit()
        let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
        let statuses = (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["statuses"] as? [String: Int] ?? [:]
        #expect(statuses["200", default: 0] > 0 && statuses["503", default: 0] > 0 && statuses.keys.allSatisfy { ["200", "503"].contains($0) }, "\(line)")
        let stats = String(decoding: try Data(contentsOf: URL(string: "http://\(pod):15000/stats")!), as: UTF8.self)
        let overflow = stats.split(separator: "\n").first { $0.hasPrefix("cluster.inbound|9080||.upstream_rq_pending_overflow:") }
        #expect(overflow.flatMap { Int($0.split(separator: " ").last ?? "") } == statuses["503"], "\(overflow ?? "no counter") for \(statuses)")
    }

    @Test("an egress listener's bind is the address its port opens on (the app reaches ratings at 127.0.x.y:9080); a captureMode IPTABLES port opens none in host mode")
    func egressBind() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        let bind = "127.0.\(Int.random(in: 40...250)).\(Int.random(in: 2...250))"
        let tcpPort = try FreePort.find()
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: """
        apiVersion: v1
        kind: Service
        metadata: {name: ratings}
        spec:
          selector: {app: ratings}
          ports: [{name: http, port: 9080}]
        ---
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: client}
        spec:
          workloadSelector: {labels: {app: client}}
          egress:
          - port: {number: 9080, protocol: HTTP, name: http}
            bind: \(bind)
            hosts: ["./*"]
          - port: {number: \(tcpPort), protocol: TCP, name: tcp}
            captureMode: IPTABLES
            hosts: ["./*"]
          - hosts: ["./*"]
        """).status == 0)
        try mesh.startEcho(name: "ratings-v1", labels: "app=ratings")
        let client = try mesh.startClient()
        try mesh.waitUntil("ratings answers at the bind address") {
            (try? WeftProcess.runTool("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Host: ratings", "http://\(bind):9080/"])) == "200"
        }
        let answer = try WeftProcess.runTool("curl", ["-s", "-H", "Host: ratings", "http://\(bind):9080/"])
        #expect(answer.contains("ratings-v1"), "\(answer)")
        let id = try #require(mesh.controlPlane.proxies().first { $0.id.hasPrefix("client-") }?.id)
        let listeners = try mesh.controlPlane.configuration(of: id).listeners.map(\.name)
        #expect(listeners.contains("egress|\(bind):9080") && !listeners.contains { $0.hasSuffix("\(tcpPort)") }, "\(listeners)")
        let refused = try WeftProcess.runTool("curl", ["-s", "-m", "2", "-o", "/dev/null", "-w", "%{http_code}", "http://\(client):\(tcpPort)/"])
        #expect(refused == "000", "nothing listens on the IPTABLES port: \(refused)")
    }

    @Test("the root namespace's Sidecar (istio-system, no selector) is the default of every namespace without its own; a namespace's own takes its place there")
    func rootNamespaceDefault() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: """
        apiVersion: v1
        kind: Namespace
        metadata: {name: other}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: near}
        spec: {selector: {app: near}, ports: [{name: http, port: 9080}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: far, namespace: other}
        spec: {selector: {app: far}, ports: [{name: http, port: 9080}]}
        ---
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: default, namespace: istio-system}
        spec:
          egress: [{hosts: ["./*", "istio-system/*"]}]
        """).status == 0)
        _ = try mesh.startClient()
        _ = try mesh.startClient(name: "visitor", namespace: "other")
        func clusters(_ prefix: String) throws -> Set<String> {
            let id = try #require(mesh.controlPlane.proxies().first { $0.id.hasPrefix(prefix) }?.id)
            return Set(try mesh.controlPlane.configuration(of: id).clusters.map(\.serviceHost))
        }
        let near = "near.default.svc.cluster.local", far = "far.other.svc.cluster.local"
        try mesh.waitUntil("each namespace sees only its own services") {
            ((try? clusters("client-")) ?? []).contains(near) && !((try? clusters("client-")) ?? [far]).contains(far)
                && ((try? clusters("visitor-")) ?? []).contains(far) && !((try? clusters("visitor-")) ?? [near]).contains(near)
        }
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: """
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: default, namespace: default}
        spec:
          egress: [{hosts: ["*/*"]}]
        """).status == 0)
        try mesh.waitUntil("default's own Sidecar takes the root's place there, and only there") {
            ((try? clusters("client-")) ?? []).isSuperset(of: [near, far]) && !((try? clusters("visitor-")) ?? [near]).contains(near)
        }
    }
}
