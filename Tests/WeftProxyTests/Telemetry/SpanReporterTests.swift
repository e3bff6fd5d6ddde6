import Foundation
import Logging
import NIOCore
import NIOPosix
import Testing
import WeftModel
import WeftTelemetry
@testable import WeftProxy

/// The span exporter's batches against a real HTTP collector (Python's `http.server`, which logs
/// each POST's client port): one kept connection for batch after batch, a new one when the
/// collector closes it, a timeout for a collector that never answers.
@Suite("span batches go to the collector on a kept connection")
struct SpanReporterTests {
    /// A collector process: `keep` answers 202 over HTTP/1.1 keep-alive, `close` answers 202 over
    /// HTTP/1.0 and closes, `silent` reads the batch and never answers, `drop-second` closes a
    /// kept connection when its second batch comes, unanswered (as an idle timeout can).
    final class Collector {
        let process = Process()
        let port: Int
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("collector-\(UUID().uuidString).log")

        init(_ mode: String) throws {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", """
            import http.server, json, sys, time
            class H(http.server.BaseHTTPRequestHandler):
                protocol_version = "HTTP/1.0" if sys.argv[1] == "close" else "HTTP/1.1"
                def do_POST(self):
                    spans = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)))
                    with open(sys.argv[2], "a") as f: f.write(f"{self.client_address[1]} {len(spans)}\\n")
                    if sys.argv[1] == "silent": time.sleep(60); return
                    self.seen = getattr(self, "seen", 0) + 1
                    if sys.argv[1] == "drop-second" and self.seen == 2: self.close_connection = True; return
                    self.send_response(202); self.send_header("content-length", "0"); self.end_headers()
                def log_message(self, *args): pass
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
            print(server.server_address[1], flush=True)
            server.serve_forever()
            """, mode, log.path]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            // The port is printed once the socket listens.
            let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
            guard let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                kill(process.processIdentifier, SIGKILL)
                throw CollectorFailure(description: "collector printed \(line.debugDescription)")
            }
            self.port = port
        }

        /// Each batch received: the client port it came from and its span count.
        var batches: [(port: Int, spans: Int)] {
            ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { line in
                let fields = line.split(separator: " ").compactMap { Int($0) }
                return fields.count == 2 ? (fields[0], fields[1]) : nil
            }
        }

        /// SIGKILL: the test process's threads block SIGTERM, and a child started from one inherits that.
        func stop() {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }

        deinit {
            stop()
            try? FileManager.default.removeItem(at: log)
        }
    }

    struct CollectorFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// An exporter's reporter on a loop of its own, and the queue its spans come from.
    struct Exporter {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let stats = ProxyStats()
        let queue: SpanQueue
        let reporter: NIOLoopBound<SpanReporter>

        init(requestTimeout: TimeAmount = .seconds(5)) async throws {
            queue = SpanQueue(stats: stats)
            let loop = group.next()
            var service = SpanExporterService(queue: queue, configuration: ConfigurationStore(), namespace: "default", eventLoop: loop,
                                              logger: Logger(label: "span-reporter-test"))
            service.requestTimeout = requestTimeout
            reporter = try await loop.submit { [service] in NIOLoopBound(SpanReporter(service), eventLoop: loop) }.get()
        }

        func submit(_ count: Int, to address: String) {
            submit(count, to: .zipkin(address))
        }

        func submit(_ count: Int, to collector: SpanCollector) {
            for index in 0..<count {
                queue.submit(ZipkinSpan(traceID: "a3ce929d0e0e4736", id: String(format: "%016x", index + 1), name: "op", kind: .CLIENT, timestamp: 5, duration: 7), to: collector)
            }
        }

        /// One flush, waited for until its batches have ended.
        func flush() async throws {
            try await reporter.eventLoop.flatSubmit { [reporter] in reporter.value.flush() }.get()
        }

        func dials(_ address: String) async throws -> Int {
            try await reporter.eventLoop.submit { [reporter] in reporter.value.dials[address] ?? 0 }.get()
        }

        func stop() async throws {
            let clients = try await reporter.eventLoop.submit { [reporter] in reporter.value.close() }.get()
            for client in clients { await client.shutdown() }
            try await group.shutdownGracefully()
        }
    }

    @Test("batch after batch on one connection: the collector sees one client port, the proxy dials once")
    func keptConnection() async throws {
        let collector = try Collector("keep")
        let exporter = try await Exporter()
        let address = "127.0.0.1:\(collector.port)"
        for count in [3, 2, 4] {
            exporter.submit(count, to: address)
            try await exporter.flush()
        }
        #expect(exporter.stats.value("tracing.zipkin.reports_sent") == 3 && exporter.stats.value("tracing.zipkin.spans_sent") == 9)
        #expect(collector.batches.map(\.spans) == [3, 2, 4])
        #expect(Set(collector.batches.map(\.port)).count == 1, "\(collector.batches)")
        #expect(try await exporter.dials(address) == 1)
        try await exporter.stop()
    }

    @Test("a collector that closes after each answer gets each batch on a new connection, none lost")
    func collectorCloses() async throws {
        let collector = try Collector("close")
        let exporter = try await Exporter()
        let address = "127.0.0.1:\(collector.port)"
        for _ in 0..<3 {
            exporter.submit(2, to: address)
            try await exporter.flush()
        }
        #expect(exporter.stats.value("tracing.zipkin.reports_sent") == 3 && exporter.stats.value("tracing.zipkin.spans_dropped") == 0, "\(exporter.stats.all.filter { $0.key.hasPrefix("tracing") })")
        #expect(collector.batches.map(\.spans) == [2, 2, 2] && Set(collector.batches.map(\.port)).count == 3, "\(collector.batches)")
        try await exporter.stop()
    }

    @Test("a kept connection closed as a batch goes out: the batch goes again once, on a new connection")
    func keptConnectionClosed() async throws {
        let collector = try Collector("drop-second")
        let exporter = try await Exporter()
        let address = "127.0.0.1:\(collector.port)"
        for count in [1, 2] {
            exporter.submit(count, to: address)
            try await exporter.flush()
        }
        #expect(exporter.stats.value("tracing.zipkin.reports_sent") == 2 && exporter.stats.value("tracing.zipkin.spans_dropped") == 0,
                "\(exporter.stats.all.filter { $0.key.hasPrefix("tracing") })")
        let batches = collector.batches
        #expect(batches.map(\.spans) == [1, 2, 2] && batches[0].port == batches[1].port && batches[2].port != batches[1].port, "\(batches)")
        #expect(try await exporter.dials(address) == 2)
        try await exporter.stop()
    }

    @Test("a collector that never answers: the batch fails at the timeout")
    func silentCollector() async throws {
        let collector = try Collector("silent")
        let exporter = try await Exporter(requestTimeout: .milliseconds(300))
        exporter.submit(2, to: "127.0.0.1:\(collector.port)")
        try await exporter.flush()
        #expect(exporter.stats.value("tracing.zipkin.reports_failed") == 1 && exporter.stats.value("tracing.zipkin.spans_dropped") == 2)
        try await exporter.stop()
    }

    @Test("while a batch waits for its answer, the next flush holds its spans; they go out with the flush after it ends")
    func batchOnItsWay() async throws {
        let collector = try Collector("silent")
        let exporter = try await Exporter(requestTimeout: .seconds(60))
        let address = "127.0.0.1:\(collector.port)"
        // Both flushes in one turn of the loop, so a busy test machine cannot let the first batch end between them.
        let (first, failedMeanwhile) = try await exporter.reporter.eventLoop.submit { [exporter] in
            exporter.submit(2, to: address)
            let first = exporter.reporter.value.flush()
            exporter.submit(3, to: address)
            // Holds the 3: posted on the busy connection, they would fail (and count) at once.
            exporter.reporter.value.flush().whenComplete { _ in }
            return (first, exporter.stats.value("tracing.zipkin.reports_failed") + exporter.stats.value("tracing.zipkin.spans_dropped"))
        }.get()
        #expect(failedMeanwhile == 0)
        let deadline = ContinuousClock.now + .seconds(60)
        while collector.batches.isEmpty && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(collector.batches.map(\.spans) == [2], "\(collector.batches)")
        // The collector dies: the first batch's connection ends unanswered.
        collector.stop()
        try await first.get()
        #expect(exporter.stats.value("tracing.zipkin.reports_failed") == 1 && exporter.stats.value("tracing.zipkin.spans_dropped") == 2)
        try await exporter.flush()
        #expect(exporter.stats.value("tracing.zipkin.reports_failed") == 2 && exporter.stats.value("tracing.zipkin.spans_dropped") == 5)
        try await exporter.stop()
    }

    @Test("a collector that is not listening: the batch fails at once and its spans are counted as dropped")
    func refusedCollector() async throws {
        let collector = try Collector("keep")
        let address = "127.0.0.1:\(collector.port)"
        collector.stop()
        let exporter = try await Exporter()
        exporter.submit(4, to: address)
        try await exporter.flush()
        #expect(exporter.stats.value("tracing.zipkin.reports_failed") == 1 && exporter.stats.value("tracing.zipkin.spans_dropped") == 4)
        try await exporter.stop()
    }

    @Test("an OpenTelemetry collector that is not listening, over gRPC and over HTTP: the batch fails within its timeout, counted under tracing.opentelemetry")
    func refusedOTLPCollector() async throws {
        let collector = try Collector("keep")
        let address = "127.0.0.1:\(collector.port)"
        collector.stop()
        let exporter = try await Exporter()
        exporter.submit(3, to: SpanCollector(address: address, protocol: .otlpGRPC, timeoutMs: 500))
        try await exporter.flush()
        exporter.submit(2, to: SpanCollector(address: address, protocol: .otlpHTTP, timeoutMs: 500))
        try await exporter.flush()
        #expect(exporter.stats.value("tracing.opentelemetry.reports_failed") == 2 && exporter.stats.value("tracing.opentelemetry.spans_dropped") == 5)
        #expect(exporter.stats.value("tracing.zipkin.reports_failed") == 0)
        try await exporter.stop()
    }
}
