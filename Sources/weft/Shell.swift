import Foundation

/// Runs short system commands (`ip`, `iptables-restore`) to completion, output captured.
enum Shell {
    /// What a command did.
    struct Result {
        var status: Int32
        var output: String
        var error: String
    }

    /// A command that failed: what was run and what it said.
    struct CommandFailed: Error, CustomStringConvertible {
        var command: [String]
        var result: Result
        var description: String {
            "\(command.joined(separator: " ")) failed (exit \(result.status)): \(result.error.trimmingCharacters(in: .whitespacesAndNewlines))"
        }
    }

    static func run(_ command: [String], input: String? = nil) -> Result {
        guard let executable = which(command[0]) else { return Result(status: 127, output: "", error: "\(command[0]): not found") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(command.dropFirst())
        let (output, error, stdin) = (Pipe(), Pipe(), Pipe())
        process.standardOutput = output
        process.standardError = error
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        do {
            try process.run()
        } catch {
            return Result(status: 127, output: "", error: "\(error)")
        }
        if let input {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try? stdin.fileHandleForWriting.close()
        }
        // Read before waiting: a full pipe would stall the command (the commands here say little on stderr).
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: out, as: UTF8.self), error: String(decoding: err, as: UTF8.self))
    }

    static func check(_ command: [String], input: String? = nil) throws {
        let result = run(command, input: input)
        if result.status != 0 { throw CommandFailed(command: command, result: result) }
    }

    /// The path of `name` on PATH (and the sbin directories, where `ip` and `iptables` live).
    static func which(_ name: String) -> String? {
        if name.hasPrefix("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "") + ":/usr/sbin:/sbin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
