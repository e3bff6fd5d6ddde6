import NIOCore
import NIOHTTP1
import WeftModel

/// The handler an HTTP/1.1 decoder hands its parts to directly. Fired down the pipeline, each
/// part would be boxed in `NIOAny` (an allocation: a part is larger than an existential's inline
/// buffer) and cast back with a dynamic cast (~600 instructions) at the handler; a request and its
/// answer make five such parts per connection side. The decoder stays a `ByteToMessageDecoder`
/// run by `HTTP1Reader` (buffering, EOF, leftovers on removal); without a receiver (a codec on its
/// own, as the codec tests use it) it fires the parts down the pipeline as any decoder does.
/// The decoder holds its receiver strongly (`HTTP1Reader` lets go of it when it leaves the
/// pipeline): a weak reference gives the handler a side table, and every retain and release of
/// it then takes the runtime's slow path (~2 % of a sidecar's CPU, measured with perf).
///
/// One protocol per direction, not one generic over the head: through a generic requirement the
/// head went indirectly, copied into the call's buffer and the decoder's destroyed (~200
/// instructions a request); with the head's own type it is handed over as it is.
protocol HTTP1RequestReceiver: AnyObject {
    /// A request's head, with the keep-alive the decoder read from its fields, handed over on its
    /// own: in a part, the receiver read it out to learn its keep-alive, and Swift copied the head
    /// to do so (a multi-payload enum's payload is taken out of a copy) and destroyed the copy.
    /// Handed over, not lent: a head its receiver holds alone is edited in place.
    func receivedHead(_ head: consuming ProxyRequestHead, keepAlive: Bool)
    /// The next body part or the end, in order, during the decoder's read (a thrown parse error
    /// still goes down the pipeline).
    func received(_ part: consuming ProxyRequestPart)
    /// The storage of a head this receiver is done with, for the decoder to read the next head
    /// into (`SpareHeaderStorage`); nil when it has none.
    func takeSpareHeaderStorage() -> SpareHeaderStorage?
}

/// The handler an HTTP/1.1 response decoder hands its parts to directly (as `HTTP1RequestReceiver`).
protocol HTTP1ResponseReceiver: AnyObject {
    func receivedHead(_ head: consuming ProxyResponseHead, keepAlive: Bool)
    func received(_ part: consuming ProxyResponsePart)
    func takeSpareHeaderStorage() -> SpareHeaderStorage?
}
