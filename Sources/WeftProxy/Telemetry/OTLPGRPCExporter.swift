import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import NIOCore
import WeftDiscovery
import WeftModel

/// One OpenTelemetry collector's gRPC client (OTLP `TraceService/Export`), on the exporter's own
/// event loop (no thread of its own), its HTTP/2 connection kept between batches as Envoy keeps
/// its tracer's gRPC stream.
final class OTLPGRPCExporter: Sendable {
    let host: String
    let port: Int
    private let client: GRPCClient<HTTP2ClientTransport.Posix>
    private let connections: Task<Void, Never>

    init(host: String, port: Int, eventLoop: any EventLoop) throws {
        self.host = host
        self.port = port
        let target: any ResolvableTarget = host.first?.isNumber == true ? .ipv4(address: host, port: port)
            : host.contains(":") ? .ipv6(address: host, port: port) : .dns(host: host, port: port)
        let transport = try HTTP2ClientTransport.Posix(target: target, transportSecurity: .plaintext, eventLoopGroup: eventLoop)
        let client = GRPCClient(transport: transport)
        self.client = client
        connections = Task { try? await client.runConnections() }
    }

    /// Sends one batch; how it ended, as the HTTP exporters tell it (a gRPC status other than OK
    /// is a refusal, `UNAVAILABLE` and `DEADLINE_EXCEEDED` no answer).
    func export(_ request: OTLPExportTraceServiceRequest, headers: [SpanCollector.Header], timeout: Duration) async -> CollectorConnection.Outcome {
        var metadata = Metadata()
        for header in headers { metadata.addString(header.value, forKey: header.name) }
        var options = CallOptions.defaults
        options.timeout = timeout
        do {
            _ = try await OTLPTraceService.Client(wrapping: client).export(request: ClientRequest(message: request, metadata: metadata), options: options)
            return .accepted
        } catch let error as RPCError {
            switch error.code {
            case .unavailable, .deadlineExceeded: return .failed("\(error.code): \(error.message)")
            default: return .refused(status: error.code.rawValue)
            }
        } catch {
            return .failed("\(error)")
        }
    }

    /// Ends the connection (calls on it end first) and returns once it has: the loop it runs on
    /// must outlive it, or a reconnect would be scheduled on a loop that is gone.
    func shutdown() async {
        client.beginGracefulShutdown()
        connections.cancel()
        await connections.value
    }
}
