import Foundation
import Testing
@testable import WeftProxy

/// The access log file's buffer: full buffers written while lines keep coming, none lost or repeated.
@Suite("access log sink")
struct AccessLogSinkTests {
    @Test("lines past several full buffers, from two threads at once: each written once, each thread's in order")
    func fullBuffers() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("access-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        try #require(descriptor >= 0)
        let sink = AccessLogSink(path: path, descriptor: descriptor, ownsDescriptor: true)
        // 2 × 12,000 lines of ~200 bytes: ~4.6 MiB, past the 1 MiB write threshold four times, under the 8 MiB bound.
        let filler = String(repeating: "x", count: 180)
        await withTaskGroup(of: Void.self) { group in
            for writer in ["a", "b"] {
                group.addTask { for index in 0..<12_000 { sink.append("\(writer) \(index) \(filler)\n") } }
            }
        }
        sink.flushNow()
        #expect(sink.counts.written == 24_000 && sink.counts.dropped == 0 && sink.counts.failed == 0)
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 24_000)
        for writer in ["a", "b"] {
            let indices = lines.filter { $0.hasPrefix("\(writer) ") }.compactMap { Int($0.split(separator: " ")[1]) }
            #expect(indices == Array(0..<12_000), "writer \(writer)")
        }
    }
}
