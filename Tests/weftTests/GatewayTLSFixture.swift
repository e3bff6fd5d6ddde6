import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// An ingress gateway (`weft proxy router`, `istio=ingressgateway` in `istio-system`) on a loopback
/// address, behind the `istio-ingressgateway` Service whose ports 80 and 443 target two free
/// ports, as Istio's stock ingress turns 80 into 8080; and the clients that reach it (curl with
/// `--resolve`, so names and SNI are the user's while the address is the test's).
struct IngressGatewayFixture {
    let mesh: MeshHarness
    let address: String
    /// The router's ports behind the Service's 80 and 443.
    let httpPort: Int
    let httpsPort: Int
    let certificates: TestCertificates

    init(mesh: MeshHarness) throws {
        self.mesh = mesh
        address = "127.0.\(Int.random(in: 40...250)).\(Int.random(in: 2...250))"
        httpPort = Int.random(in: 20000...24000)
        httpsPort = httpPort + 4000
        certificates = try TestCertificates(prefix: "weft-gateway-tls")
        try apply("""
        apiVersion: v1
        kind: Namespace
        metadata: {name: istio-system}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: istio-ingressgateway, namespace: istio-system}
        spec:
          selector: {istio: ingressgateway}
          ports:
          - {name: http2, port: 80, targetPort: \(httpPort)}
          - {name: https, port: 443, targetPort: \(httpsPort)}
        """)
    }

    func apply(_ yaml: String) throws {
        let result = try mesh.controlPlane.weft(["apply", "-f", "-"], stdin: yaml)
        guard result.status == 0 else { throw mesh.failure("apply failed: \(result.stderr)") }
    }

    /// Starts the router; it stops with the mesh's workloads.
    func startRouter() throws {
        let router = Process()
        router.executableURL = WeftProcess.executable
        router.arguments = ["proxy", "router", "--address", address, "--admin-address", address, "--namespace", "istio-system", "--labels", "istio=ingressgateway",
                            "--discovery-address", mesh.controlPlane.discoveryAddress]
        router.environment = ProcessInfo.processInfo.environment.merging(mesh.environment) { _, new in new }
        try mesh.captureOutput(of: router, name: "ingressgateway")
        try router.run()
        mesh.adopt(router)
    }

    /// The `frontend` Service (port 9080) with one echo workload (`frontend-v1`) behind it, then the
    /// router, once it knows the endpoint: what most gateway tests route to.
    func startFrontendAndRouter() throws {
        try apply("""
        apiVersion: v1
        kind: Service
        metadata: {name: frontend}
        spec:
          selector: {app: frontend}
          ports: [{name: http, port: 9080}]
        """)
        try mesh.startEcho(name: "frontend-v1", labels: "app=frontend,version=v1")
        try startRouter()
        try mesh.waitForEndpoints(proxy: "istio-ingressgateway", cluster: "outbound|9080||frontend.default.svc.cluster.local", count: 1)
    }

    var proxyID: String { "istio-ingressgateway-\(address).istio-system" }

    /// A `kubernetes.io/tls` Secret in istio-system from the test's PEM files (`ca`: also `ca.crt`).
    func tlsSecret(_ name: String, leaf: String, ca: String? = nil, key: String? = nil) throws -> String {
        func base64(_ file: String) throws -> String { try Data(contentsOf: URL(fileURLWithPath: certificates.path(file))).base64EncodedString() }
        var data = "tls.crt: \(try base64("\(leaf).pem"))\n    tls.key: \(try base64("\(key ?? leaf).key"))"
        if let ca { data += "\n    ca.crt: \(try base64("\(ca).pem"))" }
        return """
        apiVersion: v1
        kind: Secret
        metadata: {name: \(name), namespace: istio-system}
        type: kubernetes.io/tls
        data:
            \(data)
        """
    }

    /// What curl got: its exit code (35: the TLS handshake failed), the status and headers, the
    /// body, and its error message (with the TLS alert it received, as OpenSSL names it).
    struct Answer {
        var exit: Int32
        var status: Int
        var headers: String
        var body: String
        var error = ""
    }

    /// `curl https://HOST:PORT/PATH --resolve HOST:PORT:ADDRESS` with the options given.
    func curl(_ scheme: String = "https", host: String, path: String = "/", options: [String] = []) throws -> Answer {
        let port = scheme == "https" ? httpsPort : httpPort
        let headerFile = certificates.path("headers-\(UUID().uuidString)")
        let errorFile = certificates.path("error-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: errorFile, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["curl", "-sS", "-m", "5", "--resolve", "\(host):\(port):\(address)", "-D", headerFile, "-w", "\n%{http_code}"] + options
            + ["\(scheme)://\(host):\(port)\(path)"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle(forWritingAtPath: errorFile)
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let headers = (try? String(contentsOfFile: headerFile, encoding: .utf8)) ?? ""
        let error = (try? String(contentsOfFile: errorFile, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: headerFile)
        try? FileManager.default.removeItem(atPath: errorFile)
        return Answer(exit: process.terminationStatus, status: Int(lines.last ?? "") ?? 0, headers: headers, body: lines.dropLast().joined(separator: "\n"), error: error)
    }

    /// The router's admin stats.
    func stats() -> String {
        (try? String(decoding: Data(contentsOf: URL(string: "http://\(address):15000/stats")!), as: UTF8.self)) ?? ""
    }

    /// The value of one counter in the router's stats (0 when absent).
    func counter(_ name: String) -> Int {
        stats().split(separator: "\n").first { $0.hasPrefix(name + ": ") }.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
    }
}
