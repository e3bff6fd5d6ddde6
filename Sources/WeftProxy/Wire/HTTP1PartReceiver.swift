import NIOCore

/// The handler an HTTP/1.1 decoder hands its parts to directly. Fired down the pipeline, each
/// part would be boxed in `NIOAny` (an allocation: a part is larger than an existential's inline
/// buffer) and cast back with a dynamic cast (~600 instructions) at the handler; a request and its
/// answer make five such parts per connection side. The decoder stays a `ByteToMessageDecoder`
/// run by `HTTP1Reader` (buffering, EOF, leftovers on removal); without a receiver (a codec on its
/// own, as the codec tests use it) it fires the parts down the pipeline as any decoder does.
/// The decoder holds its receiver strongly (`HTTP1Reader` lets go of it when it leaves the
/// pipeline): a weak reference gives the handler a side table, and every retain and release of
/// it then takes the runtime's slow path (~2 % of a sidecar's CPU, measured with perf).
protocol HTTP1PartReceiver<Part>: AnyObject {
    associatedtype Part
    /// The next part, in order, during the decoder's read (a thrown parse error still goes down the
    /// pipeline). Handed over, not lent: a head its receiver holds alone is edited in place.
    func received(_ part: consuming Part)
}
