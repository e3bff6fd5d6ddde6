/// B3's separate headers as the next hop gets them, one value at a time: the length of each and
/// its bytes written into a value of that length. A request that came with these headers has them
/// rewritten where they lie (the span and parent ids are 16 digits whichever hop wrote them),
/// where removing them and adding them again copied each line and left gaps in the head's lines.
extension TraceContext {
    /// Indices into `headerWireNames`.
    public enum B3Field {
        public static let traceID = 0, spanID = 1, parentSpanID = 2, sampled = 3, flags = 4, single = 5
        /// The separate headers (`single`, `b3`, is never written).
        public static let count = 5
    }

    /// The length of the value this context writes for `headerWireNames[index]`; 0 for a header it
    /// does not write (no parent, `x-b3-flags` unless debug, `x-b3-sampled` when debug, `b3`).
    public func b3ValueLength(_ index: Int) -> Int {
        switch index {
        case B3Field.traceID: return is128Bit ? 32 : 16
        case B3Field.spanID: return 16
        case B3Field.parentSpanID: return parentSpanID == nil ? 0 : 16
        case B3Field.sampled: return debug ? 0 : 1
        case B3Field.flags: return debug ? 1 : 0
        default: return 0
        }
    }

    /// Writes the value of `headerWireNames[index]` into `value` and says true, when `value` is
    /// `b3ValueLength(index)` bytes long (not 0); else false, and nothing is written.
    @discardableResult
    public func writeB3Value(_ index: Int, into value: UnsafeMutableBufferPointer<UInt8>) -> Bool {
        let length = b3ValueLength(index)
        guard length > 0, value.count == length else { return false }
        switch index {
        case B3Field.traceID:
            if is128Bit {
                Hex.write(traceIDHigh, into: value, at: 0)
                Hex.write(traceIDLow, into: value, at: 16)
            } else {
                Hex.write(traceIDLow, into: value, at: 0)
            }
        case B3Field.spanID: Hex.write(spanID, into: value, at: 0)
        case B3Field.parentSpanID: Hex.write(parentSpanID ?? 0, into: value, at: 0)
        case B3Field.sampled: value[0] = sampled == true ? UInt8(ascii: "1") : UInt8(ascii: "0")
        default: value[0] = UInt8(ascii: "1")
        }
        return true
    }
}
