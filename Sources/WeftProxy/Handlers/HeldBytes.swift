import NIOCore

extension Optional where Wrapped == ByteBuffer {
    /// A connection's first bytes, held while a handler decides what they are: what was held so far
    /// followed by `more`, and nothing held any longer (the handler holds the result again if it
    /// still cannot decide).
    mutating func takeJoined(with more: ByteBuffer) -> ByteBuffer {
        guard var earlier = self else { return more }
        var more = more
        earlier.writeBuffer(&more)
        self = nil
        return earlier
    }
}
