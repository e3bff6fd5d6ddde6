import Foundation
import NIOConcurrencyHelpers

/// The files a proxy writes access logs to, each opened once and shared by every listener and
/// configuration version. `/dev/stdout` is the proxy's standard output, unless the runner sends it
/// elsewhere (`weft run` keeps it apart from the app's output).
public final class AccessLogFiles: Sendable {
    /// Where `/dev/stdout` goes, nil for this process's own standard output.
    let standardOutput: String?
    /// Told once, the first time `/dev/stdout` is opened, where it went.
    let onStandardOutput: (@Sendable (String) -> Void)?
    private let sinks = NIOLockedValueBox<[String: AccessLogSink]>([:])
    /// OpenTelemetry collectors taking records in place of a file (`envoyOtelAls`).
    public let collectors = OTLPLogSinks()

    public init(standardOutput: String? = nil, onStandardOutput: (@Sendable (String) -> Void)? = nil) {
        self.standardOutput = standardOutput
        self.onStandardOutput = onStandardOutput
    }

    /// Why a path cannot be logged to.
    public struct OpenFailure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The sink for `path`, opened (or created) on first use.
    public func sink(_ path: String) throws(OpenFailure) -> AccessLogSink {
        let result: Result<AccessLogSink, OpenFailure> = sinks.withLockedValue { sinks in
            if let sink = sinks[path] { return .success(sink) }
            let opened: Result<AccessLogSink, OpenFailure>
            switch (path, standardOutput) {
            case ("/dev/stdout", nil): opened = .success(AccessLogSink(path: path, descriptor: STDOUT_FILENO, ownsDescriptor: false))
            case ("/dev/stderr", _): opened = .success(AccessLogSink(path: path, descriptor: STDERR_FILENO, ownsDescriptor: false))
            case ("/dev/stdout", let redirected?):
                // The runner's own file: its directory is the runner's to make.
                try? FileManager.default.createDirectory(at: URL(fileURLWithPath: redirected).deletingLastPathComponent(), withIntermediateDirectories: true)
                opened = Self.open(redirected, as: path)
            default: opened = Self.open(path, as: path)
            }
            if case .success(let sink) = opened { sinks[path] = sink }
            return opened
        }
        let sink = try result.get()
        if path == "/dev/stdout", let standardOutput, let onStandardOutput, firstAnnouncement() {
            onStandardOutput(standardOutput)
        }
        return sink
    }

    private let announced = NIOLockedValueBox(false)

    /// True the first time only.
    private func firstAnnouncement() -> Bool {
        announced.withLockedValue { announced in
            defer { announced = true }
            return !announced
        }
    }

    private static func open(_ file: String, as path: String) -> Result<AccessLogSink, OpenFailure> {
        let descriptor = Foundation.open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            return .failure(OpenFailure(description: "access log file \(file == path ? path : "\(path) (\(file))") cannot be opened: \(reason)"))
        }
        return .success(AccessLogSink(path: path, descriptor: descriptor, ownsDescriptor: true))
    }

    /// Writes out every file's buffered lines (shutdown).
    public func flushAll() {
        for sink in sinks.withLockedValue({ Array($0.values) }) { sink.flushNow() }
    }

    /// Each file's counts, for the admin page.
    public var counts: [(path: String, written: Int, dropped: Int, failed: Int)] {
        sinks.withLockedValue { Array($0.values) }.map { ($0.path, $0.counts.written, $0.counts.dropped, $0.counts.failed) }.sorted { $0.path < $1.path }
    }
}
