import NIOCore
import NIOHTTP1

/// The handler an HTTP/1.1 decoder hands its parts to directly. Fired down the pipeline, each
/// part would be boxed in `NIOAny` (an allocation: a part is larger than an existential's inline
/// buffer) and cast back with a dynamic cast (~600 instructions) at the handler; a request and its
/// answer make five such parts per connection side. The decoder stays a `ByteToMessageDecoder`
/// run by `HTTP1Reader` (buffering, EOF, leftovers on removal); without a receiver (a codec on its
/// own, as the codec tests use it) it fires the parts down the pipeline as any decoder does.
/// The decoder holds its receiver strongly (`HTTP1Reader` lets go of it when it leaves the
/// pipeline): a weak reference gives the handler a side table, and every retain and release of
/// it then takes the runtime's slow path (~2 % of a sidecar's CPU, measured with perf).
protocol HTTP1PartReceiver<Head>: AnyObject {
    associatedtype Head: Equatable
    /// A message's head, with the keep-alive the decoder read from its fields, handed over on its
    /// own: in a part, the receiver read it out to learn its keep-alive, and Swift copied the head
    /// to do so (a multi-payload enum's payload is taken out of a copy) and destroyed the copy.
    /// Handed over, not lent: a head its receiver holds alone is edited in place.
    func receivedHead(_ head: consuming Head, keepAlive: Bool)
    /// The next body part or the end, in order, during the decoder's read (a thrown parse error
    /// still goes down the pipeline).
    func received(_ part: consuming HTTPPart<Head, ByteBuffer>)
}
