import ArgumentParser
import Foundation

/// `weft cleanup`: removes what crashed transparent-mode pods left (namespaces, veths, their
/// processes and files), and the bridge once no pod uses it; pods still running are kept.
struct CleanupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cleanup",
        abstract: "Remove what killed `weft run --netns` pods left behind (root)."
    )

    func run() throws {
        guard geteuid() == 0 else { throw ValidationError("weft cleanup needs root") }
        let before = PodNetwork.namespaces()
        try PodNetwork.cleanup()
        let removed = Set(before).subtracting(PodNetwork.namespaces())
        print(removed.isEmpty ? "nothing to clean up" : "removed \(removed.sorted().joined(separator: ", "))")
    }
}
