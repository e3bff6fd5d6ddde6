import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import WeftDiscovery
import WeftModel

/// Access log records for one OpenTelemetry collector (MeshConfig `envoyOtelAls`): a request
/// appends its record under a short lock (never I/O); every second, as Envoy's gRPC access loggers
/// flush their buffer, what was appended goes out in one OTLP `LogsService/Export` on a kept gRPC
/// connection. Past `maximumBuffered` records, records are dropped and counted, as a collector
/// that does not keep up must not grow the proxy. Exports run on NIO's shared event loop group.
/// As Istio configures Envoy's logger (`disable_builtin_labels`), the records carry no resource
/// attributes: what they say is in their body and the provider's labels.
public final class OTLPLogSink: Sendable {
    public let target: OTLPLogTarget
    private let records = NIOLockedValueBox<[OTLPLogRecord]>([])
    private let counters = NIOLockedValueBox<(sent: Int, dropped: Int, failed: Int)>((0, 0, 0))
    private let flusher = NIOLockedValueBox<Task<Void, Never>?>(nil)
    static let maximumBuffered = 16_384
    static let flushInterval: Duration = .seconds(1)

    /// A mesh service's endpoint for the collector's host (`current` while it still is one), nil for any other host.
    typealias Resolver = @Sendable (_ host: String, _ port: Int, _ current: (host: String, port: Int)?) -> (String, Int)?
    let resolve: Resolver

    init(target: OTLPLogTarget, resolve: @escaping Resolver = { _, _, _ in nil }) {
        self.target = target
        self.resolve = resolve
    }

    deinit {
        flusher.withLockedValue { $0?.cancel() }
    }

    /// Records appended, sent, dropped (buffer full or the export failed).
    var counts: (sent: Int, dropped: Int, failed: Int) { counters.withLockedValue { $0 } }

    /// Appends one record; false when it was dropped.
    @discardableResult
    func append(_ record: OTLPLogRecord) -> Bool {
        let kept = records.withLockedValue { buffered -> Bool in
            guard buffered.count < Self.maximumBuffered else { return false }
            buffered.append(record)
            return true
        }
        if !kept { counters.withLockedValue { $0.dropped += 1 } }
        startFlushing()
        return kept
    }

    /// The flusher starts with the first record, so a configured but unused collector costs nothing.
    private func startFlushing() {
        guard let (host, port, _) = CollectorAddress.parse(target.address) else { return }
        flusher.withLockedValue { task in
            guard task == nil else { return }
            // Held weakly: the sink's end (its configuration gone) ends the flusher.
            let weakSink = WeakSink(self)
            task = Task { await Self.run(host: host, port: port) { weakSink.sink } }
        }
    }

    /// A batch a second while the sink lives, on a kept connection to the collector, or to one of
    /// its endpoints when it names a mesh service (dialled again when that endpoint goes).
    private static func run(host: String, port: Int, sink: @escaping @Sendable () -> OTLPLogSink?) async {
        await withTaskGroup(of: Void.self) { group in
            var client: (target: (host: String, port: Int), grpc: GRPCClient<HTTP2ClientTransport.Posix>)?
            while !Task.isCancelled {
                try? await Task.sleep(for: flushInterval)
                guard let current = sink() else { break }
                let dial: (host: String, port: Int) = current.resolve(host, port, client?.target) ?? (host, port)
                if client.map({ $0.target.host != dial.host || $0.target.port != dial.port }) ?? true {
                    client?.grpc.beginGracefulShutdown()
                    client = nil
                    let target: any ResolvableTarget = dial.host.first?.isNumber == true ? .ipv4(address: dial.host, port: dial.port)
                        : dial.host.contains(":") ? .ipv6(address: dial.host, port: dial.port) : .dns(host: dial.host, port: dial.port)
                    if let transport = try? HTTP2ClientTransport.Posix(target: target, transportSecurity: .plaintext) {
                        let made = GRPCClient(transport: transport)
                        group.addTask { try? await made.runConnections() }
                        client = (dial, made)
                    }
                }
                guard let grpc = client?.grpc else { continue }
                await current.export(through: grpc)
            }
            client?.grpc.beginGracefulShutdown()
        }
    }

    private func export(through client: GRPCClient<HTTP2ClientTransport.Posix>) async {
        let batch = records.withLockedValue { buffered in
            defer { buffered.removeAll(keepingCapacity: true) }
            return buffered
        }
        guard !batch.isEmpty else { return }
        var options = CallOptions.defaults
        options.timeout = .seconds(5)
        do {
            _ = try await OTLPLogsService.Client(wrapping: client).export(request: ClientRequest(message: request(batch)), options: options)
            counters.withLockedValue { $0.sent += batch.count }
        } catch {
            counters.withLockedValue { $0.failed += batch.count }
        }
    }

    /// One resource, one scope, the records.
    func request(_ batch: [OTLPLogRecord]) -> OTLPExportLogsServiceRequest {
        var scope = OTLPScopeLogs()
        scope.logRecords = batch
        var resource = OTLPResourceLogs()
        resource.scopeLogs = [scope]
        var request = OTLPExportLogsServiceRequest()
        request.resourceLogs = [resource]
        return request
    }
}

/// A sink its flusher does not keep alive.
private final class WeakSink: Sendable {
    weak let sink: OTLPLogSink?
    init(_ sink: OTLPLogSink) { self.sink = sink }
}

/// The OTLP log sinks of a proxy, one a collector target, shared by every configuration version
/// that names it (as the access log files are).
public final class OTLPLogSinks: Sendable {
    private let sinks = NIOLockedValueBox<[OTLPLogTarget: OTLPLogSink]>([:])
    private let resolver = NIOLockedValueBox<OTLPLogSink.Resolver?>(nil)

    /// How a collector named by a mesh service is reached (the proxy sets it once its configuration store exists).
    func resolveWith(_ resolve: @escaping OTLPLogSink.Resolver) {
        resolver.withLockedValue { $0 = resolve }
    }

    func sink(_ target: OTLPLogTarget) -> OTLPLogSink {
        let resolver = self.resolver
        return sinks.withLockedValue { sinks in
            if let sink = sinks[target] { return sink }
            let made = OTLPLogSink(target: target) { host, port, current in resolver.withLockedValue { $0 }?(host, port, current) }
            sinks[target] = made
            return made
        }
    }
}
