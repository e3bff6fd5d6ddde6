import Foundation

/// A directory of a test's own under the temporary directory, removed with the last object that
/// holds it: a suite run made ~170 of them and left them all behind.
final class ScratchDirectory {
    let url: URL

    init(prefix: String) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// A real `weft control-plane` on a free loopback port with its own data directory.
final class ControlPlaneProcess {
    let process = Process()
    let dataDirectory: URL
    let logFile: URL
    /// The log, the data (unless given) and the harness's workload logs; gone with the last holder.
    let scratch: ScratchDirectory
    /// The directory that holds `dataDirectory` (nil: the caller's): a restarted one holds its predecessor's.
    private let dataOwner: ScratchDirectory?
    private(set) var url = ""
    private(set) var discoveryAddress = ""

    /// Thrown when the control plane does not come up in time.
    struct StartFailure: Error, CustomStringConvertible { var description: String }

    /// A control plane on `predecessor`'s data directory, as a restart finds it.
    convenience init(restarting predecessor: ControlPlaneProcess, discoveryPort: Int = 0) throws {
        try self.init(dataDirectory: predecessor.dataDirectory, discoveryPort: discoveryPort, dataOwner: predecessor.dataOwner)
    }

    init(dataDirectory: URL? = nil, discoveryPort: Int = 0, arguments extra: [String] = [], environment: [String: String] = [:],
         dataOwner: ScratchDirectory? = nil) throws {
        scratch = try ScratchDirectory(prefix: "weft-cp")
        self.dataOwner = dataDirectory == nil ? scratch : dataOwner
        let base = scratch.url
        self.dataDirectory = dataDirectory ?? base.appendingPathComponent("data")
        self.logFile = base.appendingPathComponent("control-plane.log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        process.executableURL = WeftProcess.executable
        process.arguments = ["control-plane", "--data-dir", self.dataDirectory.path, "--http-address", "127.0.0.1:0", "--discovery-address", "127.0.0.1:\(discoveryPort)", "--log-level", "warning"] + extra
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new } }
        let log = try FileHandle(forWritingTo: logFile)
        process.standardOutput = log
        process.standardError = log
        try process.run()
        url = try waitFor("config API on ", timeout: 15)
        discoveryAddress = try waitFor("discovery on ", timeout: 15)
    }

    /// Reads the bound address the control plane prints once it listens (bounded wait, no fixed sleep).
    private func waitFor(_ marker: String, timeout: TimeInterval) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let text = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
            if let range = text.range(of: marker) {
                let rest = text[range.upperBound...]
                if let end = rest.firstIndex(of: "\n") { return String(rest[..<end]) }
            }
            if !process.isRunning { throw StartFailure(description: "control plane exited: \(text)") }
            Thread.sleep(forTimeInterval: 0.02)
        }
        throw StartFailure(description: "control plane did not report its address within \(timeout) s")
    }

    /// Sends SIGTERM and waits (bounded) for a clean exit; returns the exit status.
    @discardableResult
    func stop(timeout: TimeInterval = 10) -> Int32? {
        guard process.isRunning else { return process.terminationStatus }
        process.terminate()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            return nil
        }
        return process.terminationStatus
    }

    /// Runs a `weft` client command against this control plane.
    func weft(_ arguments: [String], stdin: String? = nil) throws -> WeftProcess.Result {
        try WeftProcess.run(arguments + ["--control-plane", url], stdin: stdin, environment: ["WEFT_DISCOVERY_ADDRESS": discoveryAddress])
    }

    deinit { stop() }
}
