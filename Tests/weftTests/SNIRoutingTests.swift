import Foundation
import Testing

/// Two TLS services, a VirtualService routing by SNI, and the client's Sidecar TLS port for them.
private let sniMesh = """
apiVersion: v1
kind: Service
metadata: {name: tls-a}
spec:
  selector: {app: tls-a}
  ports: [{name: tls, port: 8443}]
---
apiVersion: v1
kind: Service
metadata: {name: tls-b}
spec:
  selector: {app: tls-b}
  ports: [{name: tls, port: 8443}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: by-sni}
spec:
  hosts: ["*.example.com"]
  tls:
  - match: [{port: 8443, sniHosts: [a.example.com]}]
    route: [{destination: {host: tls-a, port: {number: 8443}}}]
  - match: [{port: 8443, sniHosts: ["*.b.example.com", b.example.com]}]
    route: [{destination: {host: tls-b, port: {number: 8443}}}]
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default}
spec:
  mtls: {mode: STRICT}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: client}
spec:
  workloadSelector: {labels: {app: client}}
  egress:
  - port: {number: 8443, protocol: TLS, name: tls}
    captureMode: NONE
    hosts: ["./*"]
"""

/// VirtualService `tls` routes: the client's sidecar reads the server name of the ClientHello
/// without terminating TLS, picks the route, and carries the bytes over mutual TLS to the chosen
/// service's sidecar, which splices them to the app; the app terminates the client's TLS.
@Suite("TLS routed by SNI", .serialized)
struct SNIRoutingTests {
    @Test("a.example.com and *.b.example.com reach their TLS backends through both sidecars (end-to-end TLS inside STRICT mutual TLS); a service's own name routes to it; a hello split in 7-byte segments is read whole; no SNI goes to the listener's default; an unknown name and a client that is not TLS are closed and counted; through HTTPS_PROXY (CONNECT) the same tls routes pick the backend by the ClientHello's name, the authority where none does")
    func routesBySNI() throws {
        let certificates = try TestCertificates(prefix: "weft-sni")
        defer { certificates.remove() }
        let path = certificates.path
        try certificates.makeCA("ca", commonName: "sni-ca")
        try certificates.makeLeaf("a", subjectAltName: "DNS:a.example.com,DNS:tls-a")
        try certificates.makeLeaf("b", subjectAltName: "DNS:b.example.com,DNS:x.b.example.com,DNS:tls-b")
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: sniMesh).status == 0)
        let upstream = MeshHarness.fixtures.appendingPathComponent("tls_upstream.py").path
        for leaf in ["a", "b"] {
            try mesh.startApp(name: "tls-\(leaf)", labels: "app=tls-\(leaf)", port: 8443,
                              command: ["sh", "-c", "exec python3 \(upstream) \"$WEFT_APP_ADDRESS\" \(path("\(leaf).pem")) \(path("\(leaf).key"))"],
                              environment: ["PORT": "8443"])
        }
        let client = try mesh.startClient()
        for leaf in ["a", "b"] {
            try mesh.waitForEndpoints(proxy: "client", cluster: "outbound|8443||tls-\(leaf).default.svc.cluster.local", count: 1)
        }
        func curl(_ name: String) throws -> String {
            try WeftProcess.runTool("curl", ["-s", "-m", "10", "--cacert", path("ca.pem"), "--connect-to", "\(name):8443:\(client):8443", "https://\(name):8443/"])
        }
        var first = ""
        let deadline = Date().addingTimeInterval(20)
        repeat {
            first = try curl("a.example.com")
            if !first.contains("tls upstream") { Thread.sleep(forTimeInterval: 0.2) }
        } while !first.contains("tls upstream") && Date() < deadline
        #expect(first.contains("tls upstream tls-a, client anonymous, sni a.example.com"), "\(first)\n\(mesh.workloadOutput())")
        #expect(try curl("b.example.com").contains("tls upstream tls-b, client anonymous, sni b.example.com"))
        #expect(try curl("x.b.example.com").contains("tls upstream tls-b, client anonymous, sni x.b.example.com"))
        #expect(try curl("tls-b").contains("tls upstream tls-b, client anonymous, sni tls-b"), "a service's own name")
        let split = try WeftProcess.runTool("python3", [MeshHarness.fixtures.appendingPathComponent("tls_split_client.py").path, client, "8443", "x.b.example.com", path("ca.pem")])
        #expect(split.contains("tls upstream tls-b, client anonymous, sni x.b.example.com"), "\(split)")
        // No server name: the listener's default destination (the first service of its hosts on the port).
        let unnamed = try WeftProcess.runTool("sh", ["-c", "printf 'GET / HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n' | timeout 10 openssl s_client -quiet -noservername -connect \(client):8443 2>/dev/null"])
        #expect(unnamed.contains("tls upstream tls-a, client anonymous, sni None"), "\(unnamed)")
        #expect(try curl("c.example.com").isEmpty, "an unknown name is closed")
        let plain = try WeftProcess.runTool("curl", ["-s", "-m", "10", "-o", "/dev/null", "-w", "%{http_code}", "http://\(client):8443/"])
        #expect(plain == "000", "not TLS: closed, \(plain)")

        let stats = String(decoding: try Data(contentsOf: URL(string: "http://\(client):15000/stats")!), as: UTF8.self)
        #expect(stats.contains("tls_inspector.tls_not_found: 1") && stats.contains("tls_inspector.sni_not_found: 1")
                && stats.contains("listener.egress|8443.no_filter_chain_match: 2"), "\(stats)")
        #expect(stats.contains("cluster.outbound|8443||tls-b.default.svc.cluster.local.ssl.handshake: "), "mutual TLS to the server's sidecar: \(stats)")

        // Through the outbound proxy with CONNECT (HTTPS_PROXY, as `weft run` sets it): the tunnel is
        // routed by its ClientHello's name with the same tls routes; a name none takes goes where the authority does.
        func viaProxy(_ name: String) throws -> String {
            try WeftProcess.runTool("curl", ["-s", "-m", "10", "--cacert", path("ca.pem"), "-x", "http://\(client):15001", "https://\(name):8443/"])
        }
        #expect(try viaProxy("a.example.com").contains("tls upstream tls-a, client anonymous, sni a.example.com"))
        #expect(try viaProxy("x.b.example.com").contains("tls upstream tls-b, client anonymous, sni x.b.example.com"))
        let byAuthority = try viaProxy("tls-b")
        #expect(byAuthority.contains("tls upstream tls-b, client anonymous, sni tls-b"), "\(byAuthority)")
        let tunnels = String(decoding: try Data(contentsOf: URL(string: "http://\(client):15000/stats")!), as: UTF8.self)
        #expect(tunnels.contains("downstream_cx_tunnel_tls: 3"), "\(tunnels)")
    }
}
