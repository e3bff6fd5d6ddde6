import Foundation
import Testing

/// istio.io's "External Authorization" task with its gRPC provider: MeshConfig's `envoyExtAuthzGrpc`
/// provider `sample-ext-authz-grpc` (the ext-authz Service's port 9000) and a CUSTOM policy on the app
/// for `/headers`. The authorizer (Tests/Fixtures/ext_authz.py, a stand-in for Istio's sample) answers
/// Envoy's `Authorization/Check` with the official generated messages of `xds-protos`, so what the
/// proxy sends is read, and what it reads is written, by Envoy's own API definition. The namespace is
/// under STRICT: the check goes over mutual TLS to the authorizer's sidecar, which hands it to the app
/// over HTTP/2 (the port is named grpc).
@Suite("external authorization over gRPC (CUSTOM)", .serialized,
       .enabled(if: FileManager.default.fileExists(atPath: "/opt/weft-xds-protos/envoy/service/auth/v3"), "xds-protos is not installed in /opt/weft-xds-protos (.ci/run installs it)"))
struct ExternalAuthorizationGRPCTests {
    @Test("/headers with x-ext-authz: deny is the authorizer's DeniedHttpResponse (403, body, header); allow reaches the app with the OkHttpResponse's headers set, appended and removed; the CheckRequest carries the request's attributes and both identities; checks share kept HTTP/2 connections (one a loop); an unreachable provider is statusOnError")
    func grpcProvider() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        let checks = FileManager.default.temporaryDirectory.appendingPathComponent("weft-ext-authz-grpc-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: checks) }
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: MeshFixtures.reviewsService + "\n---\n" + """
            apiVersion: v1
            kind: Service
            metadata: {name: ext-authz}
            spec:
              selector: {app: ext-authz}
              ports: [{name: http, port: 8000}, {name: grpc, port: 9000}]
            ---
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: default, namespace: default}
            spec:
              mtls: {mode: STRICT}
            """ + "\n---\n" + AccessLogTests.configMap("""
            extensionProviders:
            - name: sample-ext-authz-grpc
              envoyExtAuthzGrpc: {service: ext-authz.default.svc.cluster.local, port: "9000", includeRequestBody: {maxRequestBytes: 4096}}
            - name: nowhere-grpc
              envoyExtAuthzGrpc: {service: nowhere.default.svc.cluster.local, port: "9000", timeout: 2s, statusOnError: "503"}
            """)).status == 0)
        try mesh.startApp(name: "ext-authz-v1", labels: "app=ext-authz", port: 8000,
                          command: ["python3", MeshHarness.fixtures.appendingPathComponent("ext_authz.py").path, "8000", "9000"],
                          environment: ["CHECKS_FILE": checks.path], runArguments: ["--port", "9000"])
        try mesh.startEcho(name: "reviews-v1", labels: "app=reviews,version=v1")
        let client = try mesh.startClient()
        try mesh.waitForEndpoints(proxy: "reviews-v1-", cluster: "outbound|9000||ext-authz.default.svc.cluster.local", count: 1)
        try mesh.waitForEndpoints(proxy: "client-", count: 1)
        let policy = ExternalAuthorizationTests.customPolicyYAML
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: policy("sample-ext-authz-grpc")).status == 0)
        let pod = client
        func call(_ path: String, _ headers: [String]) throws -> (status: Int, headers: [String: String], body: String) {
            let result = try WeftProcess.runTool("curl", ["-s", "-m", "10", "-D", "-", "-x", "http://\(pod):15001"]
                                                   + (headers + ["authorization: Bearer t0k3n", "x-other: secret"]).flatMap { ["-H", $0] } + ["http://reviews:9080\(path)"])
            let parts = result.components(separatedBy: "\r\n\r\n")
            let lines = parts.first?.components(separatedBy: "\r\n") ?? []
            let status = lines.first.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
            var fields: [String: String] = [:]
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            return (status, fields, parts.dropFirst().joined(separator: "\r\n\r\n"))
        }
        try mesh.waitUntil("the policy takes effect") { (try? call("/headers", ["x-ext-authz: deny"]).status) == 403 }

        let denied = try call("/headers", ["x-ext-authz: deny"])
        #expect(denied.status == 403 && denied.body == ExternalAuthorizationTests.denial, "\(denied)")
        #expect(denied.headers["x-ext-authz-check-result"] == "denied", "the DeniedHttpResponse's headers reach the client: \(denied.headers)")

        let allowed = try call("/headers", ["x-ext-authz: allow"])
        #expect(allowed.status == 200, "\(allowed)")
        let echoed = (try? JSONSerialization.jsonObject(with: Data(allowed.body.utf8))) as? [String: Any] ?? [:]
        let seen = echoed["headers"] as? [String: String] ?? [:]
        #expect(seen["x-ext-authz-check-result"] == "allowed", "the OkHttpResponse's headers reach the app: \(seen)")
        #expect(seen["x-ext-authz-additional-header-override"] == "grpc-additional-header-override-value", "\(seen)")
        #expect(seen["x-other"] == "secret", "\(seen)")

        // Envoy's OkHttpResponse edits: append true adds a value, headers_to_remove takes one off, response_headers_to_add answers the client.
        let edited = try call("/headers", ["x-ext-authz: allow", "x-ext-authz-edit: 1", "x-appended: from-client"])
        #expect(edited.status == 200, "\(edited)")
        let editedEcho = (try? JSONSerialization.jsonObject(with: Data(edited.body.utf8))) as? [String: Any] ?? [:]
        let editedSeen = editedEcho["headers"] as? [String: String] ?? [:]
        #expect(editedSeen["x-other"] == nil, "headers_to_remove: \(editedSeen)")
        #expect((editedEcho["repeated"] as? [String] ?? []).contains("x-appended") && editedSeen["x-appended"] == "from-authz",
                "append true keeps the client's value and adds the authorizer's: \(editedEcho)")
        #expect(edited.headers["x-authz-said"] == "hi", "response_headers_to_add: \(edited.headers)")

        #expect(try call("/ip", []).status == 200, "a path the policy does not name is not checked")
        for _ in 0..<6 { #expect(try call("/headers", ["x-ext-authz: allow"]).status == 200) }

        // includeRequestBody: the body in the CheckRequest's http.body, the partial mark among its headers.
        let posted = try WeftProcess.runTool("curl", ["-s", "-m", "10", "-o", "/dev/null", "-w", "%{http_code}", "-x", "http://\(pod):15001",
                                                      "-H", "x-ext-authz: allow", "--data-binary", "hello=world", "http://reviews:9080/headers"])
        #expect(posted == "200")
        let bodyCheck = ((try? String(contentsOf: checks, encoding: .utf8)) ?? "").split(separator: "\n").last
            .flatMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
        let bodyHTTP = ((((bodyCheck?["grpc"] as? [String: Any])?["attributes"] as? [String: Any])?["request"] as? [String: Any])?["http"] as? [String: Any]) ?? [:]
        #expect(bodyHTTP["body"] as? String == "hello=world" && (bodyHTTP["headers"] as? [String: String])?["x-envoy-auth-partial-body"] == "false", "\(bodyHTTP)")

        let recorded = ((try? String(contentsOf: checks, encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
        #expect(recorded.count >= 11, "\(recorded.count) checks")
        let last = try #require(recorded.dropLast().last)
        let attributes = (last["grpc"] as? [String: Any])?["attributes"] as? [String: Any] ?? [:]
        let http = ((attributes["request"] as? [String: Any])?["http"] as? [String: Any]) ?? [:]
        #expect(http["method"] as? String == "GET" && http["path"] as? String == "/headers" && http["host"] as? String == "reviews:9080", "\(http)")
        #expect(http["scheme"] as? String == "http" && http["protocol"] as? String == "HTTP/1.1", "\(http)")
        let checkHeaders = http["headers"] as? [String: String] ?? [:]
        #expect(checkHeaders["x-ext-authz"] == "allow" && checkHeaders["authorization"] == "Bearer t0k3n" && checkHeaders["x-other"] == "secret",
                "every header goes in a gRPC check: \(checkHeaders)")
        #expect(checkHeaders[":path"] == "/headers" && checkHeaders[":method"] == "GET" && checkHeaders[":authority"] == "reviews:9080", "\(checkHeaders)")
        let source = attributes["source"] as? [String: Any] ?? [:]
        let destination = attributes["destination"] as? [String: Any] ?? [:]
        #expect(source["principal"] as? String == "spiffe://cluster.local/ns/default/sa/default", "the client sidecar's identity: \(source)")
        #expect(destination["principal"] as? String == "spiffe://cluster.local/ns/default/sa/default", "the reviews sidecar's own identity: \(destination)")
        let sourceAddress = ((source["address"] as? [String: Any])?["socket_address"] as? [String: Any])?["address"] as? String
        #expect(sourceAddress == pod, "the client's address: \(source)")
        let time = ((attributes["request"] as? [String: Any])?["time"] as? String) ?? ""
        #expect(time.hasPrefix(String(ISO8601DateFormatter().string(from: Date()).prefix(10))), "the request's time: \(time)")
        let metadata = last["metadata"] as? [String: String] ?? [:]
        #expect(metadata["x-forwarded-client-cert"]?.contains("URI=spiffe://cluster.local/ns/default/sa/default") == true,
                "under STRICT the check went over mutual TLS: the authorizer's sidecar saw the reviews sidecar's certificate: \(metadata)")

        let reviews = try #require(try mesh.controlPlane.proxies().first { $0.id.hasPrefix("reviews-v1-") })
        let stats = try WeftProcess.runTool("curl", ["-s", "--noproxy", "*", "http://\(reviews.podIP):15000/stats"])
        func counter(_ name: String) -> Int {
            stats.split(separator: "\n").first { $0.hasPrefix(name + ": ") }.flatMap { Int($0.split(separator: " ").last ?? "") } ?? -1
        }
        #expect(counter("ext_authz.ok") >= 2 && counter("ext_authz.denied") >= 1, "\(stats.split(separator: "\n").filter { $0.contains("ext_authz") })")
        // A connection a loop at most (the sidecar runs `concurrency: 2` loops, each with its own pool), kept between checks.
        let connections = counter("cluster.outbound|9000||ext-authz.default.svc.cluster.local.upstream_cx_http2_total")
        #expect((1...2).contains(connections) && recorded.count > 2 * connections,
                "\(recorded.count) checks on \(connections) kept HTTP/2 connections: \(stats.split(separator: "\n").filter { $0.contains("9000||ext-authz") })")

        // A provider with no endpoint to answer: statusOnError, flag UAEX.
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: policy("nowhere-grpc")).status == 0)
        try mesh.waitUntil("the unreachable provider's policy takes effect") { (try? call("/headers", ["x-ext-authz: allow"]).status) == 503 }
        #expect(try call("/ip", []).status == 200)
    }
}
