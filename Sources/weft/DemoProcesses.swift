import Foundation

/// The processes `weft demo` starts, each logging to a file in the demo's directory, and stopped
/// together: SIGTERM to all, then SIGKILL to any still running after a bound.
final class DemoProcesses {
    /// One started process and its log.
    struct Child {
        var name: String
        var process: Process
        var log: URL
    }

    /// A child that did not come up.
    struct StartFailure: Error, CustomStringConvertible { var description: String }

    private(set) var children: [Child] = []
    let directory: URL

    init(directory: URL) {
        self.directory = directory
    }

    /// The `weft` executable this process runs from.
    static var weftExecutable: URL { URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath() }

    @discardableResult
    func start(_ name: String, _ executable: URL, _ arguments: [String], environment: [String: String] = [:]) throws -> Child {
        let log = directory.appendingPathComponent("\(name).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let child = Child(name: name, process: process, log: log)
        children.append(child)
        return child
    }

    /// Waits (bounded) for `marker` in a child's log and returns the rest of that line.
    func waitForLine(_ child: Child, after marker: String, timeout: TimeInterval) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let text = (try? String(contentsOf: child.log, encoding: .utf8)) ?? ""
            if let range = text.range(of: marker), let end = text[range.upperBound...].firstIndex(of: "\n") {
                return String(text[range.upperBound..<end])
            }
            if !child.process.isRunning { throw StartFailure(description: "\(child.name) exited (\(child.process.terminationStatus)); its log:\n\(text)") }
            Thread.sleep(forTimeInterval: 0.02)
        }
        throw StartFailure(description: "\(child.name) did not print \"\(marker)\" within \(Int(timeout)) s (log: \(child.log.path))")
    }

    /// Children that have exited, with their status.
    var exited: [(name: String, status: Int32)] {
        children.filter { !$0.process.isRunning }.map { ($0.name, $0.process.terminationStatus) }
    }

    /// Stops every child, newest first (workloads before the gateway and the control plane).
    func stopAll(timeout: TimeInterval = 10) {
        for child in children.reversed() where child.process.isRunning { child.process.terminate() }
        let deadline = Date().addingTimeInterval(timeout)
        for child in children.reversed() {
            while child.process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
            if child.process.isRunning { kill(child.process.processIdentifier, SIGKILL) }
        }
        for child in children { child.process.waitUntilExit() }
    }
}
