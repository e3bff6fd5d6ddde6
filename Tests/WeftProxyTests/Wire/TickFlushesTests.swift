import NIOCore
import NIOEmbedded
import Testing
@testable import WeftProxy

/// The end-of-tick flushes on an `EmbeddedChannel`, whose loop's `run()` is the end of a tick: an idle
/// loop flushes at once and samples, a busy one defers, and a close sends what a deferral held.
@Suite("flushes at the end of the loop's tick")
struct TickFlushesTests {
    /// A channel and the context of the handler at its tail, where the proxy's handlers write.
    final class Connection {
        let channel = EmbeddedChannel()
        let context: ChannelHandlerContext
        var outbound = OutboundBytes()

        init() throws {
            let tail = Tail()
            try channel.pipeline.syncOperations.addHandler(tail)
            context = try channel.pipeline.syncOperations.context(handler: tail)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 80)).wait()
        }

        /// Gathers `text` and asks `flushes` for its flush; whether it went out at once.
        func send(_ text: String, through flushes: TickFlushes) throws -> Bool {
            outbound.fill(reserving: text.utf8.count, allocator: channel.allocator) { $0.writeString(text) }
            context.flushAtTickEnd(gathered: &outbound, flushes: flushes)
            return try received() == text
        }

        /// The flushes an idle loop makes at once before it samples one.
        func sendUntilSample(through flushes: TickFlushes) throws {
            for _ in 1..<TickFlushes.sampleEvery { _ = try send("x", through: flushes) }
            _ = try received()
        }

        /// What reached the socket since the last look (only flushed writes do).
        func received() throws -> String {
            var text = ""
            while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
            return text
        }
    }

    final class Tail: ChannelDuplexHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundIn = ByteBuffer
    }

    @Test("an idle loop flushes at once, and defers one flush in sampleEvery to measure its ticks")
    func idleLoopFlushesAtOnce() throws {
        let flushes = TickFlushes()
        let connection = try Connection()
        for index in 1..<TickFlushes.sampleEvery {
            #expect(try connection.send("request \(index)", through: flushes), "flush \(index) went out at once")
        }
        // The sample: held until the tick ends.
        #expect(try connection.send("sampled", through: flushes) == false)
        #expect(try connection.received() == "")
        connection.channel.embeddedEventLoop.run()
        #expect(try connection.received() == "sampled")
        // That tick had one flush: the loop is still idle.
        #expect(try connection.send("after", through: flushes))
    }

    @Test("a tick with several flushes makes the loop busy: every flush waits for the tick's end, until a tick has one")
    func busyLoopDefers() throws {
        let flushes = TickFlushes()
        let first = try Connection(), second = try Connection()
        try first.sendUntilSample(through: flushes)
        // The sampled tick holds both connections' flushes.
        #expect(try first.send("a", through: flushes) == false)
        #expect(try second.send("b", through: flushes) == false)
        first.channel.embeddedEventLoop.run()
        #expect(try first.received() == "a")
        #expect(try second.received() == "b")
        // Busy: the next tick's single flush is deferred too, then the loop is idle again.
        #expect(try second.send("c", through: flushes) == false)
        second.channel.embeddedEventLoop.run()
        #expect(try second.received() == "c")
        #expect(try second.send("d", through: flushes))
    }

    @Test("a close sends what a deferred flush still held (a close fails unflushed writes)")
    func closeSendsHeldWrites() throws {
        let flushes = TickFlushes()
        let connection = try Connection()
        try connection.sendUntilSample(through: flushes)
        #expect(try connection.send("last answer", through: flushes) == false)
        connection.context.closeFlushed()
        #expect(try connection.received() == "last answer")
        #expect(!connection.channel.isActive)
        // The tick's end flushes a closed channel: nothing, and no crash.
        connection.channel.embeddedEventLoop.run()
    }
}
