import Foundation
import Testing

/// SIGINT and SIGTERM always reach a long-running weft. Dispatch reads them from a signalfd, which
/// sees only a signal that every thread blocks; a thread that does not block one takes it instead,
/// and the signal can be lost (CI once saw `weft demo` ignore its Ctrl-C).
@Suite("stop signals")
struct StopSignalTests {
    @Test("every thread of a running control plane blocks SIGINT and SIGTERM, and each of 8 signals in a row stops the control plane it is sent to with status 0")
    func everySignalStops() throws {
        for round in 0..<8 {
            let controlPlane = try ControlPlaneProcess()
            let pid = controlPlane.process.processIdentifier
            let unblocked = Self.threadsNotBlocking([SIGINT, SIGTERM], in: pid)
            #expect(unblocked.isEmpty, "round \(round): threads that would take a stop signal from Dispatch: \(unblocked)")
            let signal = round.isMultiple(of: 2) ? SIGINT : SIGTERM
            kill(pid, signal)
            let deadline = Date().addingTimeInterval(10)
            while controlPlane.process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
            #expect(!controlPlane.process.isRunning, "round \(round): signal \(signal) was lost")
            if controlPlane.process.isRunning {
                kill(pid, SIGKILL)
                controlPlane.process.waitUntilExit()
            } else {
                #expect(controlPlane.process.terminationStatus == 0, "round \(round)")
            }
        }
    }

    @Test("`weft run` ends with its app, as a container with its first process, even when the app leaves a background child running: SIGTERM to an app that traps it and exits 0 while its `sleep` lives on gives status 0 at once; an app's own status comes back")
    func runEndsWithTheApp() throws {
        let app = Process()
        app.executableURL = WeftProcess.executable
        app.arguments = ["run", "--no-sidecar", "--name", "orphaning", "--", "sh", "-c", "trap 'exit 0' TERM; sleep 600 & echo started $!; wait"]
        let output = Pipe()
        app.standardOutput = output
        try app.run()
        // The orphaned sleep is the app's business; the test kills it by its PID (other tests' pods run `sleep 600` too).
        var orphan: pid_t?
        defer {
            if app.isRunning { kill(app.processIdentifier, SIGKILL) }
            if let orphan { kill(orphan, SIGKILL) }
        }
        var said = ""
        while !said.contains("\n"), case let chunk = output.fileHandleForReading.availableData, !chunk.isEmpty { said += String(decoding: chunk, as: UTF8.self) }
        orphan = said.split(separator: "\n").first.flatMap { $0.split(separator: " ").last }.flatMap { pid_t($0) }
        #expect(said.hasPrefix("started ") && orphan != nil, "the app said \(said)")
        kill(app.processIdentifier, SIGTERM)
        // Read from /proc: Foundation's own Process (this test's handle on weft run) reports an exit
        // only once the orphan, which holds the same pipe, has closed it too.
        func exited() -> Bool {
            guard let stat = try? String(contentsOfFile: "/proc/\(app.processIdentifier)/stat", encoding: .utf8) else { return true }
            return stat.split(separator: ")").last?.split(separator: " ").first == "Z"
        }
        let deadline = Date().addingTimeInterval(10)
        while !exited() && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        #expect(exited(), "weft run outlived its app")
        if let orphan { kill(orphan, SIGKILL) }
        app.waitUntilExit()
        #expect(app.terminationStatus == 0)
        let status = try WeftProcess.run(["run", "--no-sidecar", "--name", "failing", "--", "sh", "-c", "exit 7"]).status
        #expect(status == 7)
    }

    @Test("the app gets stdin, stdout and stderr from `weft run` and nothing else: none of its sidecar's listeners, streams or lease, which would outlive the sidecar in the app")
    func appInheritsOnlyStandardDescriptors() throws {
        let mesh = try MeshHarness()
        defer { mesh.stopWorkloads() }
        // The shell's descriptors, listed by a subshell's child whose output is redirected there: a pipe
        // (`ls | tr`) had the shell hold both ends while ls ran, 3 and 4 listed whenever ls was quicker
        // than the shell's close. (In a subshell: the shell itself redirects nothing, where dash kept its
        // stdout as 10 meanwhile; `; true` keeps it from exec'ing the subshell as itself.)
        let listing = FileManager.default.temporaryDirectory.appendingPathComponent("weft-fds-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: listing) }
        let result = try WeftProcess.run(["run", "--name", "descriptors", "--port", "8080", "--", "sh", "-c", "(ls /proc/$$/fd > \(listing)); true"],
                                         environment: mesh.environment)
        #expect(result.status == 0)
        let descriptors = (try? String(contentsOfFile: listing, encoding: .utf8))?.split(separator: "\n").joined(separator: " ")
        #expect(descriptors == "0 1 2", "the app's descriptors: \(descriptors ?? "none listed") \(result.stdout)")
    }

    /// The threads of `pid` (their names) that leave one of `signals` unblocked, from /proc.
    static func threadsNotBlocking(_ signals: [Int32], in pid: pid_t) -> [String] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.compactMap { task -> String? in
            guard let status = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/status", encoding: .utf8),
                  let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigBlk:") }),
                  let mask = UInt64(line.dropFirst("SigBlk:".count).trimmingCharacters(in: .whitespaces), radix: 16) else { return nil }
            let blocksAll = signals.allSatisfy { mask & (UInt64(1) << UInt64($0 - 1)) != 0 }
            if blocksAll { return nil }
            let name = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
            return "\(task) \(name) SigBlk \(String(mask, radix: 16))"
        }
    }
}
