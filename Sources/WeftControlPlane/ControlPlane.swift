import Foundation
import Logging
import NIOCore
import ServiceLifecycle

/// Composes the control plane's long-running parts: Ingest (store + validation), analysis, and
/// the config API. Discovery (xDS) joins this list when the proxy arrives.
public struct ControlPlane: Sendable {
    /// Settings of `weft control-plane`.
    public struct Configuration: Sendable {
        /// Where the embedded store keeps its file; nil keeps everything in memory (for demos).
        public var dataDirectory: URL?
        /// The config API and debug listener (Istio's 15014).
        public var api = APIServerService.Configuration()
        public init(dataDirectory: URL?, api: APIServerService.Configuration = .init()) {
            self.dataDirectory = dataDirectory
            self.api = api
        }
    }

    public let ingest: ConfigIngest
    public let analysis: AnalysisResults
    public let services: [any ServiceLifecycle.Service]

    public init(configuration: Configuration, logger: Logger, onAPIBound: @escaping @Sendable (SocketAddress) -> Void = { _ in }) async throws {
        let store: any ConfigStore = configuration.dataDirectory.map { FileConfigStore(directory: $0) } ?? MemoryConfigStore()
        let ingest = try await ConfigIngest(store: store)
        let analysis = AnalysisResults()
        let api = ConfigAPI(ingest: ingest, analysis: analysis)
        self.ingest = ingest
        self.analysis = analysis
        self.services = [
            AnalysisService(ingest: ingest, results: analysis, logger: logger),
            APIServerService(configuration: configuration.api, logger: logger, onBound: onAPIBound) { await api.handle($0) },
        ]
    }
}
