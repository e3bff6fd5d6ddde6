import Foundation
import Testing

/// The Sidecar resource's `ingress` listeners: a workload port forwarded to another port of the app.
@Suite("Sidecar ingress listeners", .serialized)
struct SidecarIngressTests {
    @Test("an ingress listener maps the workload's port 9080 to defaultEndpoint 127.0.0.1:8080, where the app listens: 503 before, the app's answer after; the readiness probe follows it")
    func defaultEndpoint() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: """
        apiVersion: v1
        kind: Service
        metadata: {name: ratings}
        spec:
          selector: {app: ratings}
          ports: [{name: http, port: 9080}]
        """).status == 0)
        // The app listens on 8080, not on its declared container port.
        try mesh.startApp(name: "ratings-v1", labels: "app=ratings,version=v1", port: 9080,
                          command: ["sh", "-c", "PORT=8080 exec python3 \(MeshHarness.fixtures.appendingPathComponent("echo_app.py").path)"])
        let client = try mesh.startClient()
        #expect(try mesh.curl(through: client, "http://ratings:9080/").0 == 503, "nothing answers on 9080 yet")
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: """
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: ratings}
        spec:
          workloadSelector: {labels: {app: ratings}}
          ingress:
          - port: {number: 9080, protocol: HTTP, name: http}
            defaultEndpoint: 127.0.0.1:8080
        """).status == 0)
        try mesh.waitUntil("the ingress listener forwards to 8080") { (try? mesh.curl(through: client, "http://ratings:9080/").0) == 200 }
        let answer = try mesh.curl(through: client, "http://ratings:9080/ratings/0")
        #expect(answer.0 == 200 && answer.1.contains("ratings-v1"), "\(answer)")
    }
}
