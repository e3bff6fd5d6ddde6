import Foundation

/// `Fixtures/dns_server.py`, the tests' stand-in for a cluster's DNS server: names answered from a
/// JSON file the test rewrites (an address, a list of them, "servfail" or "silent"), with a TTL.
/// Proxies are pointed at it with `environment` (WEFT_DNS_SERVER), as a pod's resolv.conf points
/// at the cluster's.
final class TestDNSServer {
    let records: URL
    let port: Int
    private let process = Process()

    init(directory: URL, records initial: [String: Any], ttlSeconds: Int = 1) throws {
        records = directory.appendingPathComponent("records.json")
        try Data(try JSONSerialization.data(withJSONObject: initial)).write(to: records)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", MeshHarness.fixtures.appendingPathComponent("dns_server.py").path, records.path, String(ttlSeconds)]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        var line = Data()
        while true {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            kill(process.processIdentifier, SIGKILL)
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "the DNS server did not start"])
        }
        self.port = port
    }

    /// What proxies need to ask it.
    var environment: [String: String] { ["WEFT_DNS_SERVER": "127.0.0.1:\(port)"] }

    /// Answers from now on (the file is read again for every query).
    func answer(_ records: [String: Any]) throws {
        try Data(try JSONSerialization.data(withJSONObject: records)).write(to: self.records)
    }

    /// How many queries it has answered or dropped so far.
    var queries: Int {
        ((try? String(contentsOfFile: records.path + ".log", encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    func stop() {
        // SIGKILL: a child of the test runner inherits its blocked signals, SIGTERM among them.
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
