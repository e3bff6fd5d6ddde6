import Foundation
import Testing

@Suite("weft validate")
struct ValidateCommandTests {
    static let valid = """
    apiVersion: networking.istio.io/v1
    kind: VirtualService
    metadata: {name: reviews}
    spec:
      hosts: [reviews]
      http:
      - route:
        - destination: {host: reviews, subset: v1}
    """
    static let invalid = """
    apiVersion: networking.istio.io/v1
    kind: VirtualService
    metadata: {name: reviews}
    spec:
      hosts: [reviews]
      http:
      - route:
        - destination: {host: reviews, subset: v1}
          weight: 60
        - destination: {host: reviews, subset: v2}
          weight: 60
    """

    @Test("the project's example manifests are valid: exit 0")
    func examples() throws {
        let result = try WeftProcess.run(["validate", "-f", "examples"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("0 invalid"))
    }

    @Test("an invalid resource: exit 1, with file, line, resource, path and reason")
    func invalidFromStdin() throws {
        let result = try WeftProcess.run(["validate", "-f", "-"], stdin: Self.valid + "\n---\n" + Self.invalid)
        #expect(result.status == 1)
        #expect(result.stdout.contains("<stdin>:1: VirtualService default/reviews: ok"))
        #expect(result.stdout.contains("<stdin>:16: error: spec.http[0].route: route weights must sum to 100 (they sum to 120)"), "\(result.stdout)")
    }

    @Test("-o json gives one object per resource")
    func json() throws {
        let result = try WeftProcess.run(["validate", "-o", "json", "-f", "-"], stdin: Self.invalid)
        #expect(result.status == 1)
        let objects = try #require(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        #expect(objects.count == 1)
        #expect(objects.first?["kind"] as? String == "VirtualService")
        #expect(objects.first?["valid"] as? Bool == false)
        let errors = try #require(objects.first?["errors"] as? [[String: Any]])
        #expect(errors.first?["path"] as? String == "spec.http[0].route")
    }

    @Test("usage and I/O errors exit 2")
    func usageErrors() throws {
        #expect(try WeftProcess.run(["validate"]).status == 2)
        #expect(try WeftProcess.run(["validate", "-f", "/nonexistent/file.yaml"]).status == 2)
        #expect(try WeftProcess.run(["validate", "-f", "x", "--bogus"]).status == 2)
    }

    @Test("a Kubernetes Gateway API resource is refused as not supported")
    func unsupported() throws {
        let result = try WeftProcess.run(["validate", "-f", "-"], stdin: "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\nspec: {}\n")
        #expect(result.status == 1)
        #expect(result.stdout.contains("HTTPRoute (gateway.networking.k8s.io/v1) is not supported by Weft"))
    }
}
