import Foundation

/// A real `weft demo` on free ports: control plane, ingress gateway, Bookinfo with sidecars.
final class BookinfoDemo {
    let process = Process()
    let output: URL
    let gatewayPort: Int
    let httpsPort: Int
    private(set) var api = ""

    /// The demo did not come up, or a helper's wait ran out.
    struct Failure: Error, CustomStringConvertible { var description: String }

    static let corpus = WeftProcess.packageRoot.deletingLastPathComponent().appendingPathComponent("shared/istio-corpus")
    static var corpusPresent: Bool { FileManager.default.fileExists(atPath: corpus.appendingPathComponent("samples/bookinfo/networking").path) }

    /// `arguments`: more `weft demo` flags (`--netns`).
    init(arguments extra: [String] = []) throws {
        gatewayPort = try FreePort.find()
        httpsPort = try FreePort.find()
        output = FileManager.default.temporaryDirectory.appendingPathComponent("weft-demo-test-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        process.executableURL = WeftProcess.executable
        process.arguments = ["demo", "--port", String(gatewayPort), "--https-port", String(httpsPort), "--http-address", "127.0.0.1:0", "--discovery-address", "127.0.0.1:0"] + extra
        process.currentDirectoryURL = WeftProcess.packageRoot
        let log = try FileHandle(forWritingTo: output)
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let text = try waitForOutput("✓ serving", timeout: 90)
        guard let range = text.range(of: "WEFT_CONTROL_PLANE="), let end = text[range.upperBound...].firstIndex(of: "\n") else {
            throw Failure(description: "the demo did not print its control plane: \(text)")
        }
        api = String(text[range.upperBound..<end])
    }

    var gateway: String { "http://127.0.0.1:\(gatewayPort)" }

    // The log went to the temporary directory, one per demo a suite run starts, and stayed there.
    deinit {
        if process.isRunning { _ = interrupt() }
        try? FileManager.default.removeItem(at: output)
    }

    @discardableResult
    func waitForOutput(_ marker: String, timeout: TimeInterval) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            // The URL lines follow the "serving" line in the same write.
            if text.contains(marker), text.contains("Ctrl-C stops everything") || !marker.contains("serving") { return text }
            if !process.isRunning { throw Failure(description: "weft demo exited (\(process.terminationStatus)):\n\(text)") }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw Failure(description: "weft demo: no \"\(marker)\" within \(Int(timeout)) s:\n\((try? String(contentsOf: output, encoding: .utf8)) ?? "")")
    }

    /// Sends Ctrl-C's signal and waits (bounded) for the demo to exit; returns its status.
    func interrupt(timeout: TimeInterval = 30) -> Int32? {
        guard process.isRunning else { return process.terminationStatus }
        kill(process.processIdentifier, SIGINT)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            return nil
        }
        return process.terminationStatus
    }

    /// What the browser-like client saw over `count` page loads through the gateway.
    struct Visits {
        var stars: [String: Int]
        var servedBy: [String: Int]
        var failures: [String: Int]
        var titles: [String]
        var signedInAs: String?
        var reviewsErrors: Int
        var ratingsErrors: Int
        /// How long each page took, in seconds.
        var seconds: [Double]
    }

    func visit(_ count: Int, login user: String? = nil) throws -> Visits {
        var arguments = [WeftProcess.packageRoot.appendingPathComponent("Tests/Fixtures/bookinfo_browser.py").path, gateway, String(count)]
        if let user { arguments += ["--login", user] }
        let result = try Self.run("/usr/bin/python3", arguments)
        guard let object = try JSONSerialization.jsonObject(with: Data(result.utf8)) as? [String: Any] else { throw Failure(description: "client printed \(result)") }
        return Visits(stars: object["stars"] as? [String: Int] ?? [:], servedBy: object["served_by"] as? [String: Int] ?? [:],
                      failures: object["failures"] as? [String: Int] ?? [:], titles: object["titles"] as? [String] ?? [],
                      signedInAs: object["signed_in_as"] as? String, reviewsErrors: object["reviews_error"] as? Int ?? 0,
                      ratingsErrors: object["ratings_error"] as? Int ?? 0, seconds: object["seconds"] as? [Double] ?? [])
    }

    /// Applies a corpus file and waits (bounded) until the sidecars have acknowledged the routes it
    /// changed; `changesRoutes: false` for a file the demo already applied (its routes stay as they are).
    func apply(corpus path: String, changesRoutes: Bool = true) throws {
        let before = try routeVersions()
        let result = try WeftProcess.run(["apply", "-f", Self.corpus.appendingPathComponent(path).path, "--control-plane", api])
        guard result.status == 0 else { throw Failure(description: "apply \(path): \(result.stdout)\(result.stderr)") }
        guard changesRoutes else { return }
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            let now = try routeVersions()
            // productpage's and reviews' sidecars route the tasks' VirtualServices; wait for both.
            let changed = ["productpage-v1", "reviews-v2"].allSatisfy { name in
                guard let current = now.first(where: { $0.key.hasPrefix(name) }), let old = before[current.key] else { return false }
                return current.value.acked == current.value.sent && current.value.acked != old.acked
            }
            if changed { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw Failure(description: "the routes of \(path) did not reach productpage's and reviews' sidecars within 15 s")
    }

    private func routeVersions() throws -> [String: (sent: String, acked: String)] {
        let text = try Self.run("/usr/bin/env", ["curl", "-s", "-m", "5", "--noproxy", "*", "\(api)/api/v1/proxies"])
        let proxies = (try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["proxies"] as? [[String: Any]] ?? []
        var versions: [String: (sent: String, acked: String)] = [:]
        for proxy in proxies {
            guard let id = proxy["id"] as? String, let routes = (proxy["types"] as? [String: [String: Any]])?["type.googleapis.com/weft.discovery.v1.RouteTable"] else { continue }
            versions[id] = (routes["sent"] as? String ?? "", routes["acked"] as? String ?? "")
        }
        return versions
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let watchdog = DispatchWorkItem { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 120, execute: watchdog)
        defer { watchdog.cancel() }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
