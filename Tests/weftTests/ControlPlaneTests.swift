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
        let restarted = try ControlPlaneProcess(restarting: controlPlane)
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
        #expect(flagged.stdout.contains("Error:IST0101"), "status \(flagged.status), stdout \(flagged.stdout), stderr \(flagged.stderr)")
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

    @Test("watch: a long poll returns as soon as a change is stored, filtered by kind and namespace; a revision older than the history gets 410")
    func watch() throws {
        let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("weft-watch-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dataDirectory) }
        var controlPlane = try ControlPlaneProcess(dataDirectory: dataDirectory)
        #expect(try controlPlane.weft(["apply", "-f", "-"], stdin: MeshFixtures.reviewsService).status == 0)
        func get(_ query: String) throws -> (Int, [String: Any]) {
            let output = try WeftProcess.runTool("curl", ["-s", "-m", "30", "-w", "\n%{http_code}", controlPlane.url + "/api/v1/watch?" + query])
            let lines = output.split(separator: "\n")
            let object = (try? JSONSerialization.jsonObject(with: Data((lines.dropLast().joined(separator: "\n")).utf8))) as? [String: Any] ?? [:]
            return (Int(lines.last ?? "") ?? 0, object)
        }
        let (_, first) = try get("since=0&timeout=0")
        let revision = try #require(first["revision"] as? Int)
        #expect((first["events"] as? [[String: Any]])?.map { "\($0["type"] ?? "") \($0["kind"] ?? "") \($0["name"] ?? "")" } == ["ADDED Service reviews"])

        // A watcher waits; an apply a moment later ends its wait with just that change.
        let watcher = Process()
        watcher.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        watcher.arguments = ["curl", "-s", "-m", "30", controlPlane.url + "/api/v1/watch?since=\(revision)&kind=VirtualService&timeout=25"]
        let output = Pipe()
        watcher.standardOutput = output
        let started = Date()
        try watcher.run()
        #expect(try controlPlane.weft(["apply", "-f", "-"], stdin: Self.bogusSubset + "\n---\n" + """
        apiVersion: v1
        kind: ServiceAccount
        metadata: {name: bookinfo-reviews}
        """).status == 0)
        let data = output.fileHandleForReading.readDataToEndOfFile()
        watcher.waitUntilExit()
        #expect(Date().timeIntervalSince(started) < 20, "answered at the change, not at the timeout")
        let events = ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any])?["events"] as? [[String: Any]] ?? []
        #expect(events.count == 1 && events.first?["type"] as? String == "ADDED" && events.first?["name"] as? String == "reviews", "\(String(decoding: data, as: UTF8.self))")
        #expect(((events.first?["object"] as? [String: Any])?["spec"] as? [String: Any])?["hosts"] as? [String] == ["reviews"])

        #expect(try controlPlane.weft(["delete", "virtualservice", "reviews", "-n", "default"]).status == 0)
        let (_, deleted) = try get("since=\(revision + 1)&timeout=0")
        #expect((deleted["events"] as? [[String: Any]])?.map { $0["type"] as? String ?? "" } == ["DELETED"], "\(deleted)")

        // After a restart the history starts afresh: a watch from before it must list again.
        _ = controlPlane.stop()
        controlPlane = try ControlPlaneProcess(dataDirectory: dataDirectory)
        let (status, gone) = try get("since=\(revision)&timeout=0")
        #expect(status == 410, "\(gone)")
        let (_, idle) = try get("timeout=0.2")
        #expect((idle["events"] as? [Any])?.isEmpty == true, "no change within the timeout: an empty answer")

        // `weft get vs -w` lists, then prints each change as it is stored.
        let cli = Process()
        cli.executableURL = WeftProcess.executable
        cli.arguments = ["get", "virtualservice", "-w", "--control-plane", controlPlane.url]
        let cliOutput = Pipe()
        cli.standardOutput = cliOutput
        cli.standardError = cliOutput
        try cli.run()
        defer { if cli.isRunning { cli.terminate() } }
        var printed = ""
        let deadline = Date().addingTimeInterval(20)
        // The list comes first (none yet); the apply after it is a change the watch prints.
        while !printed.contains("No resources found") && Date() < deadline && cli.isRunning {
            printed += String(decoding: cliOutput.fileHandleForReading.availableData, as: UTF8.self)
        }
        #expect(try controlPlane.weft(["apply", "-f", "-"], stdin: Self.bogusSubset.replacingOccurrences(of: "name: reviews}", with: "name: cli-watch}")).status == 0)
        while !printed.contains("cli-watch") && Date() < deadline && cli.isRunning {
            printed += String(decoding: cliOutput.fileHandleForReading.availableData, as: UTF8.self)
        }
        #expect(printed.contains("ADDED     default/cli-watch"), "\(printed)")
    }

    @Test("a client with no control plane to talk to fails with a clear message")
    func unreachable() throws {
        let result = try WeftProcess.run(["get", "vs", "--control-plane", "http://127.0.0.1:9"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("cannot reach the control plane at http://127.0.0.1:9"))
    }
}
