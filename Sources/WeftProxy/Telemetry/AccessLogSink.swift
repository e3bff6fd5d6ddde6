import Foundation
import NIOConcurrencyHelpers

/// One access log file. A request appends its line to a buffer (a short lock, never I/O); a
/// background queue writes the buffer out every `flushInterval` or once it holds
/// `flushThreshold` bytes, as Envoy's file flush thread does, so a slow disk or a reader that
/// does not keep up with a pipe never stalls an event loop. Past `maximumBuffered` bytes lines
/// are dropped and counted rather than held.
public final class AccessLogSink: Sendable {
    public let path: String
    private let descriptor: Int32
    private let ownsDescriptor: Bool
    private let queue: DispatchQueue
    private let state = NIOLockedValueBox(State())

    /// Envoy's default `file_flush_interval` (Istio's ProxyConfig `fileFlushInterval`).
    static let flushInterval: DispatchTimeInterval = .seconds(1)
    /// Envoy writes at 64 KiB. Each write wakes the queue's thread, and on cores the proxies share
    /// each wake-up can leave both proxy loops on one core for a while: at 64 KiB, a pair logging
    /// ~19k requests a second woke it ~190 times a second and left 18 % of two cores idle.
    static let flushThreshold = 1024 * 1024
    static let maximumBuffered = 8 * 1024 * 1024

    private struct State {
        var buffer: [UInt8] = []
        /// The buffer last written out, emptied with its capacity kept: the next one to fill (a
        /// new buffer grew to the threshold again, a copy of every line once more on the way).
        var spare: [UInt8] = []
        /// Lines in `buffer` (each append is one): counted as they come, not by a pass over the bytes.
        var bufferedLines = 0
        /// A timed write is scheduled.
        var timerScheduled = false
        /// A write for a full buffer is queued (one at a time: appends meanwhile add to what it takes).
        var writeQueued = false
        var written = 0
        var dropped = 0
        var failed = 0
    }

    init(path: String, descriptor: Int32, ownsDescriptor: Bool) {
        self.path = path
        self.descriptor = descriptor
        self.ownsDescriptor = ownsDescriptor
        queue = DispatchQueue(label: "weft.access-log")
    }

    deinit {
        flushNow()
        if ownsDescriptor { close(descriptor) }
    }

    /// Appends one line; false when it was dropped (the writer is too far behind).
    @discardableResult
    public func append(_ line: String) -> Bool { append(Array(line.utf8)) }

    /// Appends one line given as UTF-8 bytes.
    @discardableResult
    public func append(_ line: [UInt8]) -> Bool {
        enum Next { case none, schedule, flushSoon }
        let next = state.withLockedValue { state -> Next? in
            guard state.buffer.count + line.count <= Self.maximumBuffered else {
                state.dropped += 1
                return nil
            }
            state.buffer.append(contentsOf: line)
            state.bufferedLines += 1
            if state.buffer.count >= Self.flushThreshold {
                guard !state.writeQueued else { return Next.none }
                state.writeQueued = true
                return .flushSoon
            }
            guard !state.timerScheduled else { return Next.none }
            state.timerScheduled = true
            return .schedule
        }
        switch next {
        case nil: return false
        case .none?: break
        case .schedule?: queue.asyncAfter(deadline: .now() + Self.flushInterval) { [weak self] in self?.writeBuffered(timer: true) }
        case .flushSoon?: queue.async { [weak self] in self?.writeBuffered() }
        }
        return true
    }

    /// Writes what is buffered now and waits for it (shutdown, tests).
    public func flushNow() {
        queue.sync { writeBuffered() }
    }

    /// Lines written, dropped, and writes that failed.
    public var counts: (written: Int, dropped: Int, failed: Int) {
        state.withLockedValue { ($0.written, $0.dropped, $0.failed) }
    }

    /// On the queue: takes the buffer and writes it whole.
    private func writeBuffered(timer: Bool = false) {
        var (bytes, lines) = state.withLockedValue { state -> ([UInt8], Int) in
            if timer { state.timerScheduled = false }
            state.writeQueued = false
            defer { state.bufferedLines = 0 }
            guard !state.buffer.isEmpty else { return ([], 0) }
            let taken = state.buffer
            state.buffer = state.spare
            state.spare = []
            return (taken, state.bufferedLines)
        }
        guard !bytes.isEmpty else { return }
        var offset = 0
        var failed = false
        bytes.withUnsafeBytes { raw in
            while offset < raw.count {
                let result = write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if result > 0 {
                    offset += result
                } else if result < 0, errno == EINTR {
                    continue
                } else if result < 0, errno == EAGAIN {
                    // A non-blocking stream that is full (a pipe nobody reads fast enough): wait a little, on this queue only.
                    usleep(1000)
                } else {
                    failed = true
                    break
                }
            }
        }
        bytes.removeAll(keepingCapacity: true)
        state.withLockedValue { state in
            if failed { state.failed += 1 } else { state.written += lines }
            state.spare = bytes
        }
    }
}
