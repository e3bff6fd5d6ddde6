import ArgumentParser
import Foundation
import WeftHTTPServer

/// The `weft` executable: one command per part of the mesh.
struct Weft: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weft",
        abstract: "Weft: an Istio-compatible service mesh for processes on Linux hosts.",
        subcommands: [DemoCommand.self, ControlPlaneCommand.self, ProxyCommand.self, RunCommand.self, ProxyStatusCommand.self, ProxyConfigCommand.self, AuthnCommand.self, ExperimentalCommand.self, TokenCommand.self, ApplyCommand.self, GetCommand.self, DeleteCommand.self, ValidateCommand.self, AnalyzeCommand.self, TracingCommand.self, CleanupCommand.self]
    )
}

/// A command that runs until SIGINT or SIGTERM (which it traps) stops it.
protocol RunsUntilStopped {}

/// Runs the parsed command; usage errors exit 2 (the convention `weft validate` documents), not 64.
@main
enum WeftMain {
    static func main() {
        // Decided on the main thread before any other thread starts (see StopSignals); the
        // command is parsed again where it runs.
        if (try? Weft.parseAsRoot()) is any RunsUntilStopped { StopSignals.holdForSignalQueue() }
        StopSignals.runWhileMainThreadWaits { await run() }
    }

    static func run() async {
        do {
            var command = try Weft.parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = Weft.exitCode(for: error)
            if code == .success {
                Weft.exit(withError: error)
            }
            let message = Weft.fullMessage(for: error)
            if !message.isEmpty { FileHandle.standardError.write(Data((message + "\n").utf8)) }
            if let exit = error as? ExitCode { Foundation.exit(exit.rawValue) }
            Foundation.exit(code == .validationFailure ? 2 : code.rawValue)
        }
    }
}
