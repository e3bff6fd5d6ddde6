import Foundation
import Testing

/// Two versions of a server-first TCP service, subsets for them, and tcp routes: one by the
/// destination's subnet, one for the port.
private let greeterRoutes = """
apiVersion: v1
kind: Service
metadata: {name: greeter}
spec:
  selector: {app: greeter}
  ports: [{name: tcp-smtp, port: 2525}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: greeter}
spec:
  host: greeter
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: greeter}
spec:
  hosts: [greeter]
  tcp:
  - match: [{port: 2525, destinationSubnets: ["127.0.0.0/8"]}]
    route: [{destination: {host: greeter, subset: v2}}]
  - match: [{port: 2525}]
    route: [{destination: {host: greeter, subset: v1}}]
"""

/// CONNECT HOST:PORT through the proxy at PROXY (host:port), then prints the server's first line.
private let connectClient = """
import socket, sys
proxy_host, proxy_port = sys.argv[1].rsplit(":", 1)
sock = socket.create_connection((proxy_host, int(proxy_port)), timeout=10)
sock.sendall(f"CONNECT {sys.argv[2]} HTTP/1.1\\r\\nHost: {sys.argv[2]}\\r\\n\\r\\n".encode())
reader = sock.makefile("rb")
status = reader.readline().decode().strip()
while reader.readline() not in (b"\\r\\n", b""):
    pass
print(status)
print(reader.readline().decode().strip())
"""

/// VirtualService `tcp` routes apply to CONNECT tunnels (how clients that honour HTTPS_PROXY reach
/// TCP services in host mode), as they would on Istio's outbound TCP listener of the port: matched
/// on the port and, for a CONNECT to an address, on `destinationSubnets`.
@Suite("tcp routes through CONNECT", .serialized)
struct ConnectTCPRoutesTests {
    @Test("CONNECT greeter:2525 takes the port's route (subset v1); CONNECT to an address in 127.0.0.0/8 on that port takes the destinationSubnets route (subset v2)")
    func tcpRoutesApplyToTunnels() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: greeterRoutes).status == 0)
        for version in ["v1", "v2"] {
            try mesh.startApp(name: "greeter-\(version)", labels: "app=greeter,version=\(version)", port: 2525,
                              command: ["python3", ServerFirstTests.peers, "server", "2525"])
        }
        let client = try mesh.startClient()
        try mesh.waitForEndpoints(proxy: "client", cluster: "outbound|2525|v1|greeter.default.svc.cluster.local", count: 1)
        try mesh.waitForEndpoints(proxy: "client", cluster: "outbound|2525|v2|greeter.default.svc.cluster.local", count: 1)
        let v1Pod = try ServerFirstTests.podIP("greeter-v1", mesh: mesh)
        func connect(_ target: String) -> String {
            (try? WeftProcess.runTool("python3", ["-c", connectClient, "\(client):15001", target])) ?? ""
        }
        var byName = ""
        try mesh.waitUntil("the greeter answers through a tunnel") {
            byName = connect("greeter:2525")
            return byName.contains("220 ")
        }
        #expect(byName.contains("200") && byName.contains("220 greeter-v1 ready"), "\(byName)")
        for _ in 0..<5 {
            #expect(connect("greeter:2525").contains("220 greeter-v1 ready"))
            // v1's own address, but the subnet route sends the tunnel to v2.
            let byAddress = connect("\(v1Pod):2525")
            #expect(byAddress.contains("220 greeter-v2 ready"), "\(byAddress)")
        }
    }
}
