import Foundation
import Testing

@Suite("weft analyze")
struct AnalyzeCommandTests {
    static let bogusSubset = """
    apiVersion: networking.istio.io/v1
    kind: VirtualService
    metadata: {name: reviews, namespace: default}
    spec:
      hosts: [reviews]
      http:
      - route:
        - destination: {host: reviews, subset: v9}
    """

    @Test("Bookinfo's manifests analyze clean: exit 0 and istioctl's all-clear line")
    func clean() throws {
        let result = try WeftProcess.run(["analyze", "examples/bookinfo"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("✔ No validation issues found when analyzing namespace: default."))
    }

    @Test("a route to a subset no DestinationRule defines: IST0101 in istioctl's format, exit 79")
    func bogusSubsetFails() throws {
        let result = try WeftProcess.run(["analyze", "examples/bookinfo", "-f", "-"], stdin: Self.bogusSubset)
        #expect(result.status == 79, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("Error [IST0101] (VirtualService reviews.default <stdin>:1) Referenced host+subset in destinationrule not found: \"reviews+v9\""), "\(result.stdout)")
    }

    @Test("suppression and thresholds")
    func suppressAndThresholds() throws {
        let suppressed = try WeftProcess.run(["analyze", "examples/bookinfo", "-f", "-", "-S", "IST0101=VirtualService reviews.*"], stdin: Self.bogusSubset)
        #expect(suppressed.status == 0, "\(suppressed.stdout)")
        let warningsOnly = try WeftProcess.run(["analyze", "-f", "-", "--output-threshold", "Error", "--failure-threshold", "Error"], stdin: """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: db, namespace: default}
        spec:
          host: db.example.com
          trafficPolicy: {tls: {mode: SIMPLE}}
        """)
        #expect(warningsOnly.status == 0, "warnings alone do not fail at the Error threshold: \(warningsOnly.stdout)")
        #expect(!warningsOnly.stdout.contains("IST0128"))
        let strict = try WeftProcess.run(["analyze", "-f", "-", "--failure-threshold", "Warning"], stdin: """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: db, namespace: default}
        spec:
          host: db.example.com
          trafficPolicy: {tls: {mode: SIMPLE}}
        """)
        #expect(strict.status == 79)
        #expect(strict.stdout.contains("Warning [IST0128]"))
    }

    @Test("-o json gives istioctl's fields")
    func json() throws {
        let result = try WeftProcess.run(["analyze", "-o", "json", "examples/bookinfo", "-f", "-"], stdin: Self.bogusSubset)
        let objects = try #require(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        #expect(objects.count == 1)
        #expect(objects.first?["code"] as? String == "IST0101")
        #expect(objects.first?["origin"] as? String == "VirtualService reviews.default")
        #expect(objects.first?["level"] as? String == "Error")
    }

    @Test("-L lists analyzers and the skipped Kubernetes-only ones with reasons")
    func list() throws {
        let result = try WeftProcess.run(["analyze", "-L"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("virtualservice.GatewayAnalyzer"))
        #expect(result.stdout.contains("webhook.Analyzer: Weft has no admission webhooks"))
    }
}
