import Foundation
import Testing

/// A client that connects to HOST:PORT, reads the server's greeting, then says how the
/// connection ended within 15 s (the proxy closing it: "closed").
private let heldGreeting = """
import socket, sys
sock = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=15)
reader = sock.makefile("rb")
print(reader.readline().decode().strip(), flush=True)
try:
    print("closed" if reader.readline() == b"" else "data")
except OSError as error:
    print("timeout" if isinstance(error, socket.timeout) else "reset")
"""

/// DestinationRule `connectionPool.tcp.maxConnectionDuration`, as Istio gives it to Envoy: a TCP
/// splice closes that long after it opened (tcp_proxy's max_downstream_connection_duration), and a
/// pooled HTTP connection that old takes no more requests (max_connection_duration).
@Suite("Connection duration limit", .serialized)
struct ConnectionDurationTests {
    @Test("maxConnectionDuration 1s: a held TCP connection to a greeter is closed by the client's sidecar (max_downstream_connection_duration); a keep-alive HTTP connection to reviews older than that is not reused (upstream_cx_max_duration_reached), the request still answered")
    func connectionsEndAtTheirAge() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        let live = try HTTP2UpstreamTests.startListener(mesh: mesh, command: ["python3", ServerFirstTests.peers, "server", "0"])
        let yaml = MeshFixtures.reviewsService + """

        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews}
        spec:
          host: reviews
          trafficPolicy: {connectionPool: {tcp: {maxConnectionDuration: 1s}}}
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: greeter}
        spec:
          hosts: [greeter.test]
          resolution: STATIC
          ports: [{number: 2600, name: tcp-greet, protocol: TCP}]
          endpoints: [{address: 127.0.0.1, ports: {tcp-greet: \(live)}}]
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: greeter}
        spec:
          host: greeter.test
          trafficPolicy: {connectionPool: {tcp: {maxConnectionDuration: 1s}}}
        ---
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: client}
        spec:
          workloadSelector: {labels: {app: client}}
          egress:
          - port: {number: 2600, protocol: TCP, name: tcp-greet}
            captureMode: NONE
            hosts: ["*/greeter.test"]
          - hosts: ["./*"]
        """
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: yaml).status == 0)
        try mesh.startEcho(name: "reviews-v1", labels: "app=reviews,version=v1")
        let client = try mesh.startClient()
        try mesh.waitForEndpoints(proxy: "client", count: 1)
        try mesh.waitForEndpoints(proxy: "client", cluster: "outbound|2600||greeter.test", count: 1)
        try mesh.waitUntil("reviews answers") { (try? mesh.curl(through: client, "http://reviews:9080/").0) == 200 }

        let held = try WeftProcess.runTool("python3", ["-c", heldGreeting, client, "2600"])
        #expect(held.hasPrefix("220 ") && held.contains("\nclosed"), "\(held)")
        // The pooled connection to reviews is older than 1 s by now: the next request goes on a new one.
        #expect(try mesh.curl(through: client, "http://reviews:9080/").0 == 200)
        let stats = String(decoding: try Data(contentsOf: URL(string: "http://\(client):15000/stats")!), as: UTF8.self)
        #expect(stats.contains("cluster.outbound|2600||greeter.test.max_downstream_connection_duration: 1"), "\(stats)")
        #expect(stats.contains("cluster.outbound|9080||reviews.default.svc.cluster.local.upstream_cx_max_duration_reached: 1"), "\(stats)")
    }
}
