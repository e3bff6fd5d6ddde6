import Foundation
import Testing

private let reviewsDeployment = MeshFixtures.reviewsService + "\n---\n" + """
apiVersion: v1
kind: ServiceAccount
metadata: {name: bookinfo-reviews}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: reviews-v2}
spec:
  selector:
    matchLabels: {app: reviews, version: v2}
  template:
    metadata:
      labels: {app: reviews, version: v2}
    spec:
      serviceAccountName: bookinfo-reviews
      containers:
      - name: reviews
        image: docker.io/istio/examples-bookinfo-reviews-v2:1.20.3
        ports: [{containerPort: 9080}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets:
  - {name: v2, labels: {version: v2}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v2}
---
apiVersion: v1
kind: Namespace
metadata:
  name: legacy
  labels: {istio-injection: disabled}
"""

/// `weft run` reading its workload from an applied Deployment, and the namespace label that turns the sidecar off.
@Suite("weft run with Deployments and namespaces", .serialized)
struct DeploymentRunTests {
    @Test("--deployment takes labels and ports from the pod template; the workload is routable by them")
    func runsADeployment() throws {
        let mesh = try MeshHarness()
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: reviewsDeployment).status == 0)

        let process = Process()
        process.executableURL = WeftProcess.executable
        process.arguments = ["run", "--deployment", "reviews-v2", "--", "python3", MeshHarness.fixtures.appendingPathComponent("echo_app.py").path]
        process.environment = ProcessInfo.processInfo.environment.merging(mesh.environment) { _, new in new }
            .merging(["APP_NAME": "from-deployment"]) { _, new in new }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }

        try mesh.waitForProxies(1)
        let data = try Data(contentsOf: URL(string: mesh.controlPlane.url + "/api/v1/proxies")!)
        let proxies = try #require((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["proxies"] as? [[String: Any]])
        let proxy = try #require(proxies.first)
        #expect((proxy["id"] as? String ?? "").hasPrefix("reviews-v2-"), "the workload is named after the Deployment: \(proxy)")
        #expect(proxy["labels"] as? [String: String] == ["app": "reviews", "version": "v2"])

        // The port came from containerPort 9080 and the labels select subset v2, so the VirtualService reaches it.
        try mesh.waitForEndpoints(proxy: "reviews-v2", cluster: "outbound|9080|v2|reviews.default.svc.cluster.local", count: 1)
        let reply = try mesh.client("http://reviews:9080/reviews/0", count: 5)
        #expect(reply.failures.isEmpty, "\(reply.failures)")
        #expect(reply.names == ["from-deployment": 5])

        let config = try mesh.controlPlane.weft(["proxy-config", "endpoints", proxy["id"] as? String ?? "", "-o", "json"])
        #expect(config.status == 0, "\(config.stderr)")
        #expect(config.stdout.contains("\"workload\" : \"reviews-v2\"") || config.stdout.contains("\"workload\":\"reviews-v2\""),
                "the endpoint is the Deployment's workload: \(config.stdout.prefix(600))")
    }

    @Test("a namespace labelled istio-injection=disabled runs the app without a sidecar: no proxy, no HTTP_PROXY, exit status kept")
    func injectionDisabled() throws {
        let mesh = try MeshHarness()
        #expect(try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: reviewsDeployment).status == 0)
        let result = try WeftProcess.run(["run", "-n", "legacy", "--name", "plain", "--", "sh", "-c", "echo proxy=${HTTP_PROXY:-none} pod=$WEFT_POD_IP; exit 3"],
                                         environment: mesh.environment)
        #expect(result.status == 3, "\(result.stderr)")
        #expect(result.stdout.contains("proxy=none"), "\(result.stdout)")
        #expect(result.stdout.contains("pod=127."), "the app still gets a pod address: \(result.stdout)")
        let status = try mesh.controlPlane.weft(["proxy-status"])
        #expect(!status.stdout.contains("plain-"), "no sidecar registered: \(status.stdout)")
    }

    @Test("SIGTERM to weft run drains the sidecar and stops the app with it: no orphan left; the app starts as from a shell, no signal blocked or ignored")
    func terminationStopsTheApp() throws {
        let mesh = try MeshHarness()
        let pidFile = FileManager.default.temporaryDirectory.appendingPathComponent("weft-app-\(UUID().uuidString).pid")
        let signalsFile = pidFile.appendingPathExtension("signals")
        defer { try? FileManager.default.removeItem(at: pidFile); try? FileManager.default.removeItem(at: signalsFile) }
        let process = Process()
        process.executableURL = WeftProcess.executable
        process.arguments = ["run", "--name", "sleeper", "--", "sh", "-c",
                             "grep -E '^Sig(Blk|Ign):' /proc/self/status > \(signalsFile.path); echo $$ > \(pidFile.path); exec sleep 600"]
        process.environment = ProcessInfo.processInfo.environment.merging(mesh.environment) { _, new in new }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        try mesh.waitForProxies(1)
        var appPID: pid_t?
        let deadline = Date().addingTimeInterval(10)
        while appPID == nil && Date() < deadline {
            appPID = (try? String(contentsOf: pidFile, encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            if appPID == nil { Thread.sleep(forTimeInterval: 0.02) }
        }
        let pid = try #require(appPID)
        let signals = try String(contentsOf: signalsFile, encoding: .utf8)
        // Signals 1–31 (glibc keeps 32 and 33 for itself, out of env's reach).
        let standard = signals.split(separator: "\n").map { line in
            UInt64(line.split(separator: "\t").last.map(String.init) ?? "", radix: 16).map { $0 & 0x7fff_ffff }
        }
        #expect(standard == [0, 0], "SigBlk and SigIgn of the app: \(signals)")

        process.terminate()
        let exitDeadline = Date().addingTimeInterval(10)
        while (process.isRunning || kill(pid, 0) == 0) && Date() < exitDeadline { Thread.sleep(forTimeInterval: 0.02) }
        #expect(!process.isRunning, "weft run exits on SIGTERM")
        if !process.isRunning { #expect(process.terminationStatus == 143, "the app's death by SIGTERM reported as a shell would") }
        #expect(kill(pid, 0) != 0, "the app (pid \(pid)) was stopped too")
        if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
    }

    @Test("--deployment naming a Deployment that was never applied fails with a clear message")
    func missingDeployment() throws {
        let mesh = try MeshHarness()
        let result = try WeftProcess.run(["run", "--deployment", "ghost", "--", "true"], environment: mesh.environment)
        #expect(result.status != 0)
        #expect(result.stderr.contains("Deployment default/ghost is not applied"), "\(result.stderr)")
    }
}
