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

    /// Stops every child, newest first (workloads before the gateway and the control plane);
    /// returns the names of those that had to be killed.
    @discardableResult
    func stopAll(timeout: TimeInterval = 10) -> [String] {
        for child in children.reversed() where child.process.isRunning { child.process.terminate() }
        let deadline = Date().addingTimeInterval(timeout)
        var killed: [String] = []
        for child in children.reversed() {
            while child.process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
            guard child.process.isRunning else { continue }
            // A killed `weft run` cannot stop its app: that goes too.
            let started = Self.processes(startedBy: child.process.processIdentifier)
            kill(child.process.processIdentifier, SIGKILL)
            for pid in started { kill(pid, SIGKILL) }
            killed.append(child.name)
        }
        for child in children { child.process.waitUntilExit() }
        return killed
    }

    /// The processes whose parent is `pid`, from /proc.
    static func processes(startedBy pid: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { pid_t($0) }.filter { candidate in
            guard let stat = try? String(contentsOfFile: "/proc/\(candidate)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            // "pid (comm) state ppid …", where comm may hold spaces and parentheses.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && pid_t(fields[1]) == pid
        }
    }
}
