import ArgumentParser
import Foundation
import NIOConcurrencyHelpers
import UnixSignals
import WeftHTTPServer

/// `weft demo`: a control plane with a throwaway store, an ingress gateway and Bookinfo with
/// sidecars, all on loopback; stopped, every process of it, on Ctrl-C.
struct DemoCommand: AsyncParsableCommand, RunsUntilStopped {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run Bookinfo in the mesh behind an ingress gateway on 127.0.0.1:PORT, until Ctrl-C.")

    @Option(help: "The ingress gateway's port.")
    var port: Int = 8080

    @Option(name: .customLong("https-port"), help: "The ingress gateway's HTTPS port (a certificate for localhost and 127.0.0.1 is made at start; its CA is printed).")
    var httpsPort: Int = 8443

    @Option(name: .customLong("http-address"), help: "The control plane's config API, HOST:PORT (port 0 picks a free one).")
    var httpAddress: String = "127.0.0.1:15014"

    @Option(name: .customLong("discovery-address"), help: "The control plane's discovery address, HOST:PORT (port 0 picks a free one).")
    var discoveryAddress: String = "127.0.0.1:15010"

    @Option(help: "Directory of the Bookinfo manifests (default: examples/bookinfo of this checkout).")
    var manifests: String?

    @Option(help: "The bookinfo executable (default: the one built beside weft).")
    var bookinfo: String?

    @Flag(help: "Transparent mode (root): each Bookinfo pod in its own network namespace, its app with no proxy settings (weft run --netns).")
    var netns = false

    @Option(help: "Give up when Bookinfo is not serving after this many seconds.")
    var timeout: Double = 60

    /// The workloads, in start order: Deployment name and the bookinfo service it runs.
    static let workloads = [("details-v1", "details"), ("ratings-v1", "ratings"), ("reviews-v1", "reviews"),
                            ("reviews-v2", "reviews"), ("reviews-v3", "reviews"), ("productpage-v1", "productpage")]

    func run() async throws {
        let started = Date()
        if netns, geteuid() != 0 { throw ValidationError("--netns needs root (network namespaces and iptables); without it the demo runs in host mode") }
        let bookinfoExecutable = URL(fileURLWithPath: bookinfo ?? DemoProcesses.weftExecutable.deletingLastPathComponent().appendingPathComponent("bookinfo").path)
        guard FileManager.default.isExecutableFile(atPath: bookinfoExecutable.path) else {
            throw ValidationError("no bookinfo executable at \(bookinfoExecutable.path): build it with `swift build` (or give --bookinfo PATH)")
        }
        let manifestDirectory = try DemoManifests.directory(explicit: manifests)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("weft-demo-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let processes = DemoProcesses(directory: directory)
        // Ctrl-C goes to the whole process group; trap it from the start so the cleanup below always runs.
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        let interrupted = NIOLockedValueBox(false)
        let stop = Task {
            for await _ in signals { break }
            interrupted.withLockedValue { $0 = true }
        }
        do {
            try await serve(processes: processes, bookinfo: bookinfoExecutable, manifests: manifestDirectory, interrupted: interrupted, started: started)
            if !interrupted.withLockedValue({ $0 }) { await stop.value }
            say("\nstopping…")
            for name in processes.stopAll() { say("  ! \(name) did not stop within 10 s: killed") }
            try? FileManager.default.removeItem(at: directory)
        } catch {
            processes.stopAll()
            throw error
        }
    }

    private func serve(processes: DemoProcesses, bookinfo bookinfoExecutable: URL, manifests manifestDirectory: URL,
                       interrupted: NIOLockedValueBox<Bool>, started: Date) async throws {
        let directory = processes.directory
        say("weft demo: Bookinfo in the mesh (logs in \(directory.path))")
        let weft = DemoProcesses.weftExecutable
        let controlPlane = try processes.start("control-plane", weft, ["control-plane", "--data-dir", directory.appendingPathComponent("store").path,
                                                                        "--http-address", httpAddress, "--discovery-address", discoveryAddress, "--log-level", "warning"])
        let api = try processes.waitForLine(controlPlane, after: "config API on ", timeout: 20)
        let discovery = try processes.waitForLine(controlPlane, after: "discovery on ", timeout: 20)
        step("control plane", "\(api) (discovery \(discovery))")

        let client = ControlPlaneClient(base: api)
        var inputs = [InputFiles.Input(name: "ingress-gateway-service", text: DemoManifests.ingressService(port: port, httpsPort: httpsPort))]
        inputs += try InputFiles.read(DemoManifests.files.map { manifestDirectory.appendingPathComponent($0).path })
        let reply = try await client.sendDocuments("/api/v1/apply", inputs)
        guard reply.status == 200 else { throw ValidationError("applying the Bookinfo manifests failed: \(reply.object["error"] ?? reply.status)") }
        step("applied", "\(DemoManifests.files.joined(separator: ", ")) (\((reply.object["results"] as? [Any])?.count ?? 0) resources)")
        // HTTPS as Istio users set it up: a Secret, and a Gateway server that names it.
        let certificate = try DemoCertificate(names: ["localhost"], addresses: ["127.0.0.1"])
        let caFile = directory.appendingPathComponent("ca.pem")
        try Data(certificate.caPEM.utf8).write(to: caFile)
        let https = try await client.sendDocuments("/api/v1/apply", [InputFiles.Input(name: "bookinfo-https",
                                                                                      text: certificate.secret(named: DemoManifests.credentialName) + "\n---\n" + DemoManifests.httpsGateway)])
        guard https.status == 200 else { throw ValidationError("applying the HTTPS gateway failed: \(https.object["error"] ?? https.status)") }
        step("https", "bookinfo-gateway serves 443 with credentialName \(DemoManifests.credentialName) (CA \(caFile.path))")

        let clientArguments = ["--control-plane", api, "--discovery-address", discovery]
        try processes.start("ingressgateway", weft, ["proxy", "router", "--address", "127.0.0.1", "--namespace", "istio-system",
                                                     "--labels", "istio=ingressgateway", "--discovery-address", discovery])
        for (deployment, service) in Self.workloads {
            try processes.start(deployment, weft, ["run", "--deployment", deployment] + (netns ? ["--netns"] : []) + clientArguments + ["--", bookinfoExecutable.path, service])
        }
        let page = "http://127.0.0.1:\(port)/productpage"
        // The CLI as the user can type it from here: relative to the working directory when inside it.
        let cwd = FileManager.default.currentDirectoryPath + "/"
        let cli = weft.path.hasPrefix(cwd) ? String(weft.path.dropFirst(cwd.count)) : weft.path
        try await waitUntilServing(page, client: client, processes: processes, interrupted: interrupted)
        if interrupted.withLockedValue({ $0 }) { return }
        step("serving", String(format: "in %.1f s", Date().timeIntervalSince(started)))
        say("""

        Bookinfo: \(page)
        Over HTTPS: https://localhost:\(httpsPort)/productpage (curl --cacert \(directory.appendingPathComponent("ca.pem").path) https://localhost:\(httpsPort)/productpage)
        The control plane: WEFT_CONTROL_PLANE=\(api)
        Try a routing task, e.g. every request to reviews v1, then jason to v2:
          WEFT_CONTROL_PLANE=\(api) \(cli) apply -f VIRTUAL_SERVICE.yaml
          (istio's samples/bookinfo/networking/virtual-service-all-v1.yaml, virtual-service-reviews-test-v2.yaml, ...)
          WEFT_CONTROL_PLANE=\(api) \(cli) proxy-status
        Metrics: every proxy serves Istio's standard metrics on POD_IP:15020/stats/prometheus; Prometheus
        finds them all through the control plane. A prometheus.yml for them:
          scrape_configs:
          - job_name: weft-proxies
            http_sd_configs: [{url: "\(api)/api/v1/prometheus/targets"}]
        Traces: the control plane is a Zipkin collector (1 % of requests by default; send
        x-b3-sampled: 1 to trace one). Any Zipkin client reads them:
          curl '\(api)/api/v2/traces?serviceName=productpage.default&limit=1'
        Ctrl-C stops everything.
        """)
    }

    /// Writes a line unbuffered: progress must show as it happens, also when stdout is a pipe or a file.
    private func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    private func step(_ what: String, _ detail: String) {
        say("  ✓ \(what.padding(toLength: 16, withPad: " ", startingAt: 0)) \(detail)")
    }

    /// Ready once every proxy is connected and the page, through the gateway, has shown all three reviews versions, each with its ratings.
    private func waitUntilServing(_ page: String, client: ControlPlaneClient, processes: DemoProcesses, interrupted: NIOLockedValueBox<Bool>) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        var connected: Set<String> = []
        var reviewers: Set<String> = []
        let browser = HTTPClient()
        while Date() < deadline {
            if interrupted.withLockedValue({ $0 }) { return }
            if let failed = processes.exited.first { throw DemoProcesses.StartFailure(description: "\(failed.name) exited with \(failed.status); see its log in \(processes.directory.path)") }
            if connected.count < Self.workloads.count + 1, let reply = try? await client.send("GET", "/api/v1/proxies"),
               let list = reply.object["proxies"] as? [[String: Any]] {
                for proxy in list {
                    guard let id = proxy["id"] as? String, let name = (Self.workloads.map(\.0) + ["istio-ingressgateway"]).first(where: { id.hasPrefix($0) }),
                          !connected.contains(name) else { continue }
                    connected.insert(name)
                    if name == "istio-ingressgateway" { step("ingress gateway", "\(page.split(separator: "/").dropFirst().first ?? "") (\(id))") }
                    else { step(name, "sidecar connected (\(id))") }
                }
            }
            if connected.count == Self.workloads.count + 1, let response = try? await browser.send(host: "127.0.0.1", port: port, path: "/productpage", timeout: .seconds(10)),
               response.status == 200 {
                let html = String(decoding: response.body, as: UTF8.self)
                // A page counts once its reviews are whole: v2 and v3 reached ratings (stars, not its
                // error), so "serving" means every hop of the page answers, not only the first ones.
                if html.contains("Book Details"), let range = html.range(of: "<dt>Reviews served by:</dt>\n<u>"),
                   !html.contains("Ratings service is currently unavailable") {
                    reviewers.insert(String(html[range.upperBound...].prefix { $0 != "<" }))
                    if reviewers.count == 3 { return }
                    continue
                }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw DemoProcesses.StartFailure(description: "Bookinfo was not serving at \(page) within \(Int(timeout)) s; logs in \(processes.directory.path)")
    }
}
