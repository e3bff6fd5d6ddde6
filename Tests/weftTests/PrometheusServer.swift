import Foundation

/// A real Prometheus (Debian's package) on a free loopback port, scraping every second the
/// targets the control plane's HTTP service discovery lists.
final class PrometheusServer {
    static var binary: String? { ["/usr/bin/prometheus", "/usr/local/bin/prometheus"].first { FileManager.default.isExecutableFile(atPath: $0) } }

    let port: Int
    private let process = Process()
    private let directory: URL

    init(serviceDiscovery url: String) throws {
        guard let binary = Self.binary else { throw CocoaError(.fileNoSuchFile) }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("weft-prometheus-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config = """
        global: {scrape_interval: 1s, evaluation_interval: 1s}
        scrape_configs:
        - job_name: weft-proxies
          http_sd_configs: [{url: "\(url)/api/v1/prometheus/targets", refresh_interval: 1s}]
        - job_name: weft-control-plane
          static_configs: [{targets: ["\(url.replacingOccurrences(of: "http://", with: ""))"]}]
        """
        try Data(config.utf8).write(to: directory.appendingPathComponent("prometheus.yml"))
        port = try FreePort.find()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--config.file=\(directory.appendingPathComponent("prometheus.yml").path)", "--storage.tsdb.path=\(directory.appendingPathComponent("data").path)",
                             "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn"]
        let log = directory.appendingPathComponent("prometheus.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if (try? Curl.get("http://127.0.0.1:\(port)/-/ready").0) == 200 { return }
            if !process.isRunning { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw ControlPlaneProcess.StartFailure(description: "prometheus did not become ready: " + ((try? String(contentsOf: log, encoding: .utf8)) ?? ""))
    }

    /// An instant query's result vector: each series' labels and value.
    func query(_ promql: String) throws -> [(labels: [String: String], value: Double)] {
        var components = URLComponents(string: "http://127.0.0.1:\(port)/api/v1/query")!
        components.queryItems = [URLQueryItem(name: "query", value: promql)]
        let (status, body) = try Curl.get(components.url!.absoluteString)
        guard status == 200, let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
              let data = object["data"] as? [String: Any], let result = data["result"] as? [[String: Any]] else { return [] }
        return result.compactMap { series in
            guard let labels = series["metric"] as? [String: String], let pair = series["value"] as? [Any], pair.count == 2,
                  let text = pair[1] as? String, let value = Double(text) else { return nil }
            return (labels, value)
        }
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }
}
