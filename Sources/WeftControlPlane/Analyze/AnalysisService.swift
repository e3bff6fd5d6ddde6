import Logging
import ServiceLifecycle
import WeftAPI

/// Runs every analyzer after each configuration change and keeps the latest results, so
/// `weft get` and the dashboard can show each resource's validation state.
public actor AnalysisResults {
    public private(set) var revision: Int64 = -1
    public private(set) var messages: [AnalysisMessage] = []

    public init() {}

    func update(revision: Int64, messages: [AnalysisMessage]) {
        self.revision = revision
        self.messages = messages
    }

    /// Waits until results cover `revision` (bounded by `timeout` seconds); false when they do not yet.
    /// The bound is generous because a loaded host (CI's two shared cores) can take seconds to analyze.
    public func waitFor(revision: Int64, timeout: Double = 10) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        while self.revision < revision {
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return true
    }

    /// Messages about one resource.
    public func messages(for key: ResourceKey) -> [AnalysisMessage] {
        messages.filter { $0.resource.kind == key.kind && $0.resource.namespace == key.namespace && $0.resource.name == key.name }
    }
}

/// The long-running unit that feeds `AnalysisResults` from the ingest's snapshots.
public struct AnalysisService: ServiceLifecycle.Service {
    let ingest: ConfigIngest
    let results: AnalysisResults
    let logger: Logger

    public init(ingest: ConfigIngest, results: AnalysisResults, logger: Logger) {
        self.ingest = ingest
        self.results = results
        self.logger = logger
    }

    public func run() async throws {
        let snapshots = await ingest.snapshots()
        await withTaskCancellationOrGracefulShutdownHandler {
            for await snapshot in snapshots {
                let input = AnalysisInputLoader().input(from: snapshot.all.map { ($0.resource, SourceLocation(file: "control-plane", document: 0, line: 0)) })
                let messages = Analyzers.run(input)
                await results.update(revision: snapshot.revision, messages: messages)
                logger.debug("analysis done", metadata: ["revision": "\(snapshot.revision)", "messages": "\(messages.count)"])
            }
        } onCancelOrGracefulShutdown: {
            Task { await ingest.finishSubscribers() }
        }
    }
}
