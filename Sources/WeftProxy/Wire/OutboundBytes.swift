import NIOCore

/// What an HTTP/1.1 connection's handler has encoded since its last flush, gathered into one
/// buffer and handed to the channel at the flush: a head, its small body and the chunk framing
/// around it are one `context.write` (each costs ~1.5k instructions in NIO's pipeline and
/// pending-writes bookkeeping), not two to four. A body larger than `copyLimit` is not copied:
/// what was gathered goes first, then the body as it is, in order.
/// The buffer handed over is kept as `spare`: once the channel has written it (most often within
/// the flush), it is this connection's alone again and the next gathering reuses its memory
/// instead of allocating (`ByteBuffer.clear()` allocates anew only while the write still holds it).
struct OutboundBytes {
    /// Bodies up to this size are copied in; past it a copy costs more than the write it saves.
    static let copyLimit = 4096
    /// A drained buffer is kept for reuse up to this capacity: what an idle connection holds.
    static let spareLimit = 4096

    private var pending: ByteBuffer?
    private var spare: ByteBuffer?

    /// Nothing gathered since the last drain.
    var isEmpty: Bool { pending == nil }

    /// Writes into the gathered buffer (a new one of at least `capacity` bytes when none is open).
    mutating func fill(reserving capacity: Int, allocator: ByteBufferAllocator, _ body: (inout ByteBuffer) -> Void) {
        var buffer = open(reserving: capacity, allocator: allocator)
        body(&buffer)
        close(buffer)
    }

    /// The gathered buffer (a new one of at least `capacity` bytes when none is open), taken out to
    /// be written into and handed back with `close`: held alone meanwhile, it grows in place. (For
    /// a head: a closure that wrote it captured the head, which was copied for it.)
    mutating func open(reserving capacity: Int, allocator: ByteBufferAllocator) -> ByteBuffer {
        // Each way returns its own buffer: one `var` the three assigned was copied to be returned
        // and then destroyed, a retain and a release of its storage each time.
        if var gathered = pending.take() {
            if gathered.writableBytes < capacity { gathered.reserveCapacity(minimumWritableBytes: capacity) }
            return gathered
        }
        if var reused = spare.take() {
            reused.clear()
            if reused.writableBytes < capacity { reused.reserveCapacity(minimumWritableBytes: capacity) }
            return reused
        }
        return allocator.buffer(capacity: capacity)
    }

    /// The buffer `open` gave, written into, gathered again.
    mutating func close(_ buffer: consuming ByteBuffer) {
        pending = buffer
    }

    /// Adds `data`: copied in when small, else written (after what was gathered) through `write`.
    mutating func append(_ data: IOData, allocator: ByteBufferAllocator, write: (IOData) -> Void) {
        guard case .byteBuffer(var bytes) = data, bytes.readableBytes <= Self.copyLimit else {
            drain(write: write)
            return write(data)
        }
        guard bytes.readableBytes > 0 else { return }
        fill(reserving: bytes.readableBytes, allocator: allocator) { $0.writeBuffer(&bytes) }
    }

    /// Hands what was gathered to `write`, leaving nothing.
    mutating func drain(write: (IOData) -> Void) {
        guard let buffer = take() else { return }
        write(buffer)
    }

    /// What was gathered, to be written (nil when nothing was), leaving nothing.
    mutating func take() -> IOData? {
        guard let buffer = pending.take() else { return nil }
        if buffer.capacity <= Self.spareLimit { spare = buffer }
        return .byteBuffer(buffer)
    }
}
