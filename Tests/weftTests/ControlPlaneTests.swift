import Foundation
import Testing

/// The control plane as a user drives it: a real `weft control-plane` process and the real CLI.
@Suite("control plane config API", .serialized)
struct ControlPlaneTests {
    static let bogusSubset = """
    apiVersion: networking.istio.io/v1
    kind: VirtualService
    metadata: {name: reviews}
    spec:
      hosts: [reviews]
      http:
      - route:
        - destination: {host: reviews, subset: v9}
    """

    @Test("apply, re-apply, get, all-or-nothing, delete, and a restart that keeps everything")
    func lifecycle() throws {
        let controlPlane = try ControlPlaneProcess()
        let applied = try controlPlane.weft(["apply", "-f", "examples/bookinfo"])
        #expect(applied.status == 0, "\(applied.stdout)\(applied.stderr)")
        #expect(applied.stdout.contains("virtualservice.networking.istio.io/bookinfo created"))
        #expect(applied.stdout.contains("deployment.apps/reviews-v3 created"))

        let again = try controlPlane.weft(["apply", "-f", "examples/bookinfo/destination-rule-all.yaml"])
        #expect(again.stdout.contains("destinationrule.networking.istio.io/reviews unchanged"), "\(again.stdout)")

        let list = try controlPlane.weft(["get", "dr", "-A"])
        #expect(list.status == 0)
        for name in ["details", "productpage", "ratings", "reviews"] { #expect(list.stdout.contains(name)) }
        #expect(list.stdout.contains("NAMESPACE"))

        // One invalid document: nothing of the apply is stored, and the error names file, line, resource and path.
        let rejected = try controlPlane.weft(["apply", "-f", "-"], stdin: """
        apiVersion: v1
        kind: ServiceAccount
        metadata: {name: newsa}
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: bad}
        spec:
          host: x
          trafficPolicy: {loadBalancer: {simple: ROUND_ROBN}}
        """)
        #expect(rejected.status == 1)
        #expect(rejected.stderr.contains("<stdin>:10: DestinationRule default/bad: spec.trafficPolicy.loadBalancer.simple: unknown value \"ROUND_ROBN\""), "\(rejected.stderr)")
        let missing = try controlPlane.weft(["get", "sa", "newsa"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("not found"))

        let yaml = try controlPlane.weft(["get", "vs", "bookinfo", "-o", "yaml"])
        #expect(yaml.stdout.contains("kind: VirtualService"))
        #expect(yaml.stdout.contains("resourceVersion: '1'"))

        // Restart on the same data directory: the configuration is still there, same versions.
        #expect(controlPlane.stop() == 0, "SIGTERM should drain and exit 0")
        let restarted = try ControlPlaneProcess(dataDirectory: controlPlane.dataDirectory)
        let afterRestart = try restarted.weft(["get", "vs", "bookinfo", "-o", "yaml"])
        #expect(afterRestart.status == 0, "\(afterRestart.stderr)")
        #expect(afterRestart.stdout.contains("resourceVersion: '1'"))

        let deleted = try restarted.weft(["delete", "vs", "bookinfo"])
        #expect(deleted.stdout.contains("virtualservice.networking.istio.io/bookinfo deleted"))
        let deletedAgain = try restarted.weft(["delete", "vs", "bookinfo"])
        #expect(deletedAgain.status == 1)
        let byFile = try restarted.weft(["delete", "-f", "examples/bookinfo/destination-rule-all.yaml"])
        #expect(byFile.status == 0)
        #expect(byFile.stdout.contains("destinationrule.networking.istio.io/ratings deleted"))
        restarted.stop()
    }

    @Test("analysis runs after each change: get shows it, the API serves it, analyze --use-control-plane layers files")
    func analysisServed() throws {
        let controlPlane = try ControlPlaneProcess()
        #expect(try controlPlane.weft(["apply", "-f", "examples/bookinfo"]).status == 0)
        let clean = try controlPlane.weft(["get", "vs", "-o", "wide"])
        #expect(clean.stdout.contains("bookinfo") && clean.stdout.contains("OK"))

        #expect(try controlPlane.weft(["apply", "-f", "-"], stdin: Self.bogusSubset).status == 0)
        let flagged = try controlPlane.weft(["get", "vs", "reviews", "-o", "wide"])
        #expect(flagged.stdout.contains("Error:IST0101"), "\(flagged.stdout)")
        #expect(flagged.stdout.contains("Referenced host+subset in destinationrule not found: \"reviews+v9\""))

        let analysis = try Data(contentsOf: URL(string: controlPlane.url + "/api/v1/analysis")!)
        let object = try #require(JSONSerialization.jsonObject(with: analysis) as? [String: Any])
        let messages = try #require(object["messages"] as? [[String: Any]])
        #expect(messages.contains { $0["code"] as? String == "IST0101" && $0["name"] as? String == "reviews" })

        let fromControlPlane = try controlPlane.weft(["analyze", "--use-control-plane"])
        #expect(fromControlPlane.status == 79)
        #expect(fromControlPlane.stdout.contains("Error [IST0101] (VirtualService reviews.default"))

        let fixed = FileManager.default.temporaryDirectory.appendingPathComponent("fix-\(UUID().uuidString).yaml")
        try Self.bogusSubset.replacingOccurrences(of: "v9", with: "v1").write(to: fixed, atomically: true, encoding: .utf8)
        let layered = try controlPlane.weft(["analyze", "--use-control-plane", fixed.path])
        #expect(layered.status == 0, "a local file replaces the stored resource of the same name: \(layered.stdout)")
        controlPlane.stop()
    }

    @Test("a client with no control plane to talk to fails with a clear message")
    func unreachable() throws {
        let result = try WeftProcess.run(["get", "vs", "--control-plane", "http://127.0.0.1:9"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("cannot reach the control plane at http://127.0.0.1:9"))
    }
}
