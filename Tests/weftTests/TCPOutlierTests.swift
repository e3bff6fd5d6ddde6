import Foundation
import Testing

/// Outlier detection on a TCP service, as Envoy's tcp_proxy reports connect failures to the
/// outlier detector: a refused connect counts as the endpoint's failure.
@Suite("TCP outlier detection", .serialized)
struct TCPOutlierTests {
    @Test("of two endpoints one refuses connections; with consecutive5xxErrors 1 its first refused connect ejects it (ejections_enforced_total) and the other connections all reach the live one")
    func refusedConnectsEject() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        let live = try HTTP2UpstreamTests.startListener(mesh: mesh, command: ["python3", ServerFirstTests.peers, "server", "0"])
        // A port nothing listens on: connects to it are refused.
        let dead = try Self.closedPort()
        let yaml = """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: greeters}
        spec:
          hosts: [greeters.test]
          resolution: STATIC
          ports: [{number: 2600, name: tcp-greet, protocol: TCP}]
          endpoints: [{address: 127.0.0.1, ports: {tcp-greet: \(live)}}, {address: 127.0.0.1, ports: {tcp-greet: \(dead)}}]
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: greeters}
        spec:
          host: greeters.test
          trafficPolicy: {outlierDetection: {consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 5m, maxEjectionPercent: 100}}
        ---
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: client}
        spec:
          workloadSelector: {labels: {app: client}}
          egress:
          - port: {number: 2600, protocol: TCP, name: tcp-greet}
            captureMode: NONE
            hosts: ["*/greeters.test"]
        """
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: yaml).status == 0)
        let client = try mesh.startClient()
        try mesh.waitForEndpoints(proxy: "client", cluster: "outbound|2600||greeters.test", count: 2)
        var greeted = 0
        for _ in 0..<12 {
            let answer = try WeftProcess.runTool("python3", [ServerFirstTests.peers, "client", client, "2600"])
            if answer.contains("\"echo\": \"HELLO\"") { greeted += 1 }
        }
        #expect(greeted >= 11, "at most the first connection to the dead endpoint fails: \(greeted) of 12")
        let stats = String(decoding: try Data(contentsOf: URL(string: "http://\(client):15000/stats")!), as: UTF8.self)
        #expect(stats.contains("cluster.outbound|2600||greeters.test.outlier_detection.ejections_enforced_total: 1"), "\(stats)")
    }

    /// A loopback port that was free a moment ago: nothing listens on it.
    static func closedPort() throws -> Int {
        let output = try WeftProcess.runTool("python3", ["-c", "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"])
        return try #require(Int(output.trimmingCharacters(in: .whitespacesAndNewlines)))
    }
}
