import Foundation

/// The istio.io mutual TLS tasks' mesh on this host: httpbin (the real one, PyPI, under gunicorn)
/// and sleep with sidecars in `foo` and `bar`, applied from the corpus's own samples, and a
/// sleep without a sidecar in `legacy`, whose curl leaves from its own pod IP.
final class MutualTLSMesh {
    let mesh: MeshHarness
    /// Pod IPs by namespace.
    private(set) var httpbin: [String: String] = [:]
    private(set) var sleep: [String: String] = [:]

    init(namespaces: [String] = ["foo", "bar"], controlPlaneEnvironment: [String: String] = [:], sidecarEnvironment: [String: String] = [:]) throws {
        mesh = try MeshHarness(controlPlaneEnvironment: controlPlaneEnvironment)
        let corpus = BookinfoDemo.corpus
        let namespaceYAML = (namespaces + ["legacy"]).map { "apiVersion: v1\nkind: Namespace\nmetadata: {name: \($0)}" }.joined(separator: "\n---\n")
        guard try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: namespaceYAML).status == 0 else { throw mesh.failure("namespaces not applied") }
        for namespace in namespaces + ["legacy"] {
            for sample in ["samples/httpbin/httpbin.yaml", "samples/sleep/sleep.yaml"] {
                let applied = try mesh.controlPlane.weft(["apply", "-n", namespace, "-f", corpus.appendingPathComponent(sample).path])
                guard applied.status == 0 else { throw mesh.failure("\(sample) not applied in \(namespace): \(applied.stderr)") }
            }
        }
        for namespace in namespaces {
            try start(["run", "-n", namespace, "--deployment", "httpbin", "--", "sh", "-c", #"HOME=$(mktemp -d) exec gunicorn -w 1 -b "$WEFT_APP_ADDRESS:8080" httpbin:app"#],
                      name: "httpbin.\(namespace)", environment: sidecarEnvironment)
            try start(["run", "-n", namespace, "--deployment", "sleep", "--", "sleep", "600"], name: "sleep.\(namespace)", environment: sidecarEnvironment)
        }
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline && (httpbin.count < namespaces.count || sleep.count < namespaces.count) {
            for proxy in (try? mesh.controlPlane.proxies()) ?? [] where proxy.state == "SYNCED" {
                for namespace in namespaces where proxy.id.hasSuffix(".\(namespace)") {
                    if proxy.id.hasPrefix("httpbin-") { httpbin[namespace] = proxy.podIP }
                    if proxy.id.hasPrefix("sleep-") { sleep[namespace] = proxy.podIP }
                }
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        guard httpbin.count == namespaces.count, sleep.count == namespaces.count else { throw mesh.failure("the mTLS mesh did not start: httpbin \(httpbin), sleep \(sleep)") }
        for client in namespaces {
            for server in namespaces {
                try mesh.waitForEndpoints(proxy: "sleep-\(sleep[client]!)", cluster: "outbound|8000||httpbin.\(server).svc.cluster.local", count: 1, timeout: 30)
            }
        }
        // gunicorn answers once it is up: wait (bounded) for each httpbin through its own sidecar.
        for namespace in namespaces { try waitUntil("httpbin.\(namespace) answers") { (try? self.fromSidecar(namespace, to: namespace).status) == 200 } }
    }

    private func start(_ arguments: [String], name: String, environment: [String: String]) throws {
        let process = Process()
        process.executableURL = WeftProcess.executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(mesh.environment) { _, new in new }.merging(environment) { _, new in new }
        try mesh.captureOutput(of: process, name: name)
        try process.run()
        mesh.adopt(process)
    }

    /// `curl http://httpbin.SERVER:8000/PATH` from sleep in CLIENT, through its sidecar.
    func fromSidecar(_ client: String, to server: String, path: String = "ip", headers: [String] = []) throws -> (status: Int, body: String) {
        let (status, body) = try mesh.curl(through: sleep[client]!, "http://httpbin.\(server):8000/\(path)", headers: headers)
        return (status, body)
    }

    /// `curl` from sleep in `legacy` (no sidecar: its own pod IP, plaintext) to httpbin's pod in
    /// SERVER on its container port: what the service address reaches in Kubernetes. Returns the
    /// status curl printed (`000` when refused) and curl's exit code (56 for a reset).
    func fromLegacy(to server: String, path: String = "ip", headers: [String] = []) throws -> (code: String, exit: Int32, body: String) {
        let url = "http://\(httpbin[server]!):8080/\(path)"
        let header = headers.map { " -H '\($0)'" }.joined()
        let result = try WeftProcess.run(["run", "-n", "legacy", "--no-sidecar", "--deployment", "sleep", "--", "sh", "-c",
                                          #"curl -s -m 10 --interface "$WEFT_POD_IP" -w '\n%{http_code}'"# + header + " " + url],
                                         environment: mesh.environment)
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        return (String(lines.last ?? ""), result.status, lines.dropLast().joined(separator: "\n"))
    }

    func apply(_ yaml: String) throws {
        let result = try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: yaml)
        guard result.status == 0 else { throw mesh.failure("apply failed: \(result.stderr)") }
    }

    func apply(file: String) throws {
        try apply(String(contentsOf: BookinfoDemo.corpus.appendingPathComponent(file), encoding: .utf8))
    }

    func delete(_ kind: String, _ name: String, namespace: String) throws {
        _ = try mesh.controlPlane.weft(["delete", kind, name, "-n", namespace])
    }

    /// Waits (bounded, 20 s) until `condition` holds: a policy change reaches the proxies by push.
    func waitUntil(_ what: String, timeout: TimeInterval = 20, _ condition: () -> Bool) throws {
        try mesh.waitUntil(what, timeout: timeout, condition)
    }

    /// The admin stats of the sidecar at `podIP`.
    func stats(of podIP: String) throws -> String {
        String(decoding: try Data(contentsOf: URL(string: "http://\(podIP):15000/stats")!), as: UTF8.self)
    }

    func stop() { mesh.stopWorkloads() }
}
