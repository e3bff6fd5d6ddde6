import NIOCore
import Testing
@testable import WeftProxy

/// The gathered outbound bytes: a written buffer's memory is reused once the write has let it go,
/// and never while the write still holds it.
@Suite("outbound bytes")
struct OutboundBytesTests {
    /// Gathers `text` and drains it; the written buffer is handed to `keep`.
    static func send(_ text: String, through out: inout OutboundBytes, keep: (ByteBuffer) -> Void) {
        out.fill(reserving: text.utf8.count, allocator: ByteBufferAllocator()) { $0.writeString(text) }
        out.drain { data in
            if case .byteBuffer(let buffer) = data { keep(buffer) }
        }
    }

    static func address(_ buffer: ByteBuffer) -> UnsafeRawPointer? {
        buffer.withUnsafeReadableBytes { $0.baseAddress }
    }

    @Test("a buffer the channel has written is filled again in place; one it still holds is left as it was")
    func reuse() {
        var out = OutboundBytes()
        var first: ByteBuffer?
        Self.send("GET / HTTP/1.1\r\n\r\n", through: &out) { first = $0 }
        let firstAddress = first.flatMap(Self.address)
        // The write still holds the first buffer: the next one is other memory, the first intact.
        var second: ByteBuffer?
        Self.send("HTTP/1.1 200 OK\r\n\r\n", through: &out) { second = $0 }
        #expect(first.map { String(buffer: $0) } == "GET / HTTP/1.1\r\n\r\n")
        #expect(second.map { String(buffer: $0) } == "HTTP/1.1 200 OK\r\n\r\n")
        #expect(second.flatMap(Self.address) != firstAddress)
        // Written (let go): the next gathering reuses the second's memory.
        let secondAddress = second.flatMap(Self.address)
        first = nil
        second = nil
        var third: ByteBuffer?
        Self.send("abc", through: &out) { third = $0 }
        #expect(third.map { String(buffer: $0) } == "abc")
        #expect(third.flatMap(Self.address) == secondAddress)
    }

    @Test("a buffer past the spare limit is not kept for an idle connection")
    func largeNotKept() {
        var out = OutboundBytes()
        let large = String(repeating: "x", count: OutboundBytes.spareLimit + 1)
        var written: ByteBuffer?
        Self.send(large, through: &out) { written = $0 }
        #expect(written.map { $0.capacity > OutboundBytes.spareLimit } == true)
        written = nil
        var next: ByteBuffer?
        Self.send("small", through: &out) { next = $0 }
        #expect(next.map { String(buffer: $0) } == "small")
        // A new buffer of the size asked for, not the large one's memory.
        #expect(next.map { $0.capacity <= OutboundBytes.spareLimit } == true)
    }
}
