import Foundation
import Testing

/// Two server-first TCP services (as SMTP or MySQL greet first): `greeter` on a PERMISSIVE port,
/// `banner` on a port its PeerAuthentication sets to DISABLE.
private let serverFirst = """
apiVersion: v1
kind: Service
metadata: {name: greeter}
spec:
  selector: {app: greeter}
  ports: [{name: tcp-smtp, port: 2525}]
---
apiVersion: v1
kind: Service
metadata: {name: banner}
spec:
  selector: {app: banner}
  ports: [{name: tcp-banner, port: 2526}]
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: banner}
spec:
  selector: {matchLabels: {app: banner}}
  mtls: {mode: DISABLE}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: client}
spec:
  workloadSelector: {labels: {app: client}}
  egress:
  - port: {number: 2525, protocol: TCP, name: tcp-smtp}
    captureMode: NONE
    hosts: ["./greeter.default.svc.cluster.local"]
"""

/// A client outside the mesh reaches a server that speaks first through the server's sidecar:
/// the sidecar cannot wait for the client's first bytes to tell TLS from plaintext, as Istio's
/// inbound listener does not on a DISABLE port, nor past the mesh's protocolDetectionTimeout.
@Suite("Server-first protocols inbound", .serialized)
struct ServerFirstTests {
    static let peers = MeshHarness.fixtures.appendingPathComponent("banner_peers.py").path

    /// The pod IP of the workload whose proxy id starts with `name`.
    static func podIP(_ name: String, mesh: MeshHarness) throws -> String {
        var found: String?
        try mesh.waitUntil("\(name)'s sidecar is synced") {
            found = (try? mesh.controlPlane.proxies())?.first { $0.id.hasPrefix(name + "-") && $0.state == "SYNCED" }?.podIP
            return found != nil
        }
        return found ?? ""
    }

    @Test("a DISABLE port is served at once: a plaintext client that waits for the greeting gets it, with no protocol detection timeout in the mesh")
    func disablePortServesAtOnce() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: serverFirst).status == 0)
        try mesh.startApp(name: "banner", labels: "app=banner", port: 2526, command: ["python3", Self.peers, "server", "2526"])
        let pod = try Self.podIP("banner", mesh: mesh)
        var greeting = ""
        try mesh.waitUntil("the greeting arrives") {
            greeting = (try? WeftProcess.runTool("python3", [Self.peers, "client", pod, "2526"])) ?? ""
            return greeting.contains("\"greeting\": \"220 banner ready\"")
        }
        #expect(greeting.contains("\"echo\": \"HELLO\""), "\(greeting)")
    }

    @Test("a PERMISSIVE port with the mesh's protocolDetectionTimeout (200ms): a plaintext client that sends nothing gets the greeting once it passes (protocol_detection_timeout counted); a mesh client through its sidecar (mutual TLS) too")
    func permissivePortAfterDetectionTimeout() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        let meshConfig = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n  mesh: |\n    protocolDetectionTimeout: 200ms\n"
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: serverFirst + "\n---\n" + meshConfig).status == 0)
        try mesh.startApp(name: "greeter", labels: "app=greeter", port: 2525, command: ["python3", Self.peers, "server", "2525"])
        let pod = try Self.podIP("greeter", mesh: mesh)
        var greeting = ""
        try mesh.waitUntil("the greeting arrives") {
            greeting = (try? WeftProcess.runTool("python3", [Self.peers, "client", pod, "2525"])) ?? ""
            return greeting.contains("\"greeting\": \"220 greeter ready\"")
        }
        #expect(greeting.contains("\"echo\": \"HELLO\""), "\(greeting)")
        let stats = String(decoding: try Data(contentsOf: URL(string: "http://\(pod):15000/stats")!), as: UTF8.self)
        #expect(stats.contains("protocol_detection_timeout: "), "\(stats)")

        let client = try mesh.startClient()
        try mesh.waitForEndpoints(proxy: "client", cluster: "outbound|2525||greeter.default.svc.cluster.local", count: 1)
        let throughMesh = try WeftProcess.runTool("python3", [Self.peers, "client", client, "2525"])
        #expect(throughMesh.contains("\"greeting\": \"220 greeter ready\"") && throughMesh.contains("\"echo\": \"HELLO\""), "\(throughMesh)")
        let serverStats = String(decoding: try Data(contentsOf: URL(string: "http://\(pod):15000/stats")!), as: UTF8.self)
        #expect(serverStats.contains("ssl.handshake: 1"), "the mesh client came over mutual TLS: \(serverStats)")
    }
}
