import ArgumentParser
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import WeftControlPlane
import WeftHTTPServer
import WeftTelemetry

/// `weft tracing`: the Zipkin collector and query API on its own, for a user who wants traces
/// apart from the control plane (which serves the same API on its own port).
struct TracingCommand: AsyncParsableCommand, RunsUntilStopped {
    static let configuration = CommandConfiguration(
        commandName: "tracing",
        abstract: "Run a Zipkin v2 collector and query API (POST /api/v2/spans, GET /api/v2/traces, ...) in memory.")

    @Option(help: "Listen address, HOST:PORT (Zipkin's 9411 by default).")
    var address: String = "127.0.0.1:9411"

    @Option(name: .customLong("max-spans"), help: "Spans kept; the oldest traces go first past it.")
    var maxSpans: Int = 20_000

    mutating func run() async throws {
        guard let (host, port) = HostPort.parse(address) else { throw ValidationError("--address must be HOST:PORT") }
        guard maxSpans > 0 else { throw ValidationError("--max-spans must be positive") }
        let logger = Logger(label: "weft.tracing")
        let collector = ZipkinCollectorAPI(store: ZipkinSpanStore(maximumSpans: maxSpans))
        let server = APIServerService(configuration: .init(host: host, port: port), logger: logger, onBound: { bound in
            FileHandle.standardOutput.write(Data("weft tracing: Zipkin API on http://\(bound.ipAddress ?? host):\(bound.port ?? port)/api/v2\n".utf8))
        }) { request in
            if ZipkinCollectorAPI.serves(request.path) { return await collector.handle(request) }
            if request.path == "/health" || request.path == "/healthz/ready" { return .text(.ok, "ok\n") }
            return .text(.notFound, "not found\n")
        }
        try await ServiceGroup(configuration: .init(services: [.init(service: server)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)).run()
    }
}
