import Foundation
import Logging
import ServiceLifecycle
import UnixSignals
import WeftHTTPServer

/// Runs one Bookinfo service on the address `weft run` gives (`WEFT_APP_ADDRESS`, `PORT`), or on
/// 127.0.0.1:9080 alone, until SIGTERM or SIGINT.
enum BookinfoServer {
    static func run(name: String, handler: @escaping @Sendable (APIRequest) async -> APIResponse) async throws {
        let environment = ProcessInfo.processInfo.environment
        let host = environment["WEFT_APP_ADDRESS"] ?? "127.0.0.1"
        let port = environment["PORT"].flatMap(Int.init) ?? 9080
        var logger = Logger(label: "bookinfo.\(name)")
        logger.logLevel = .info
        let server = APIServerService(configuration: .init(host: host, port: port), logger: logger, onBound: { address in
            print("\(name) listening on \(address)")
        }, handler: handler)
        let group = ServiceGroup(configuration: .init(services: [.init(service: server)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
