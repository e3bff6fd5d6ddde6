import CWeftBytes
import NIOCore
import NIOHTTP1
import WeftModel

/// Finds where an HTTP/1.1 head (or trailer section) ends: the CRLF CRLF, searched once per byte
/// however the bytes arrive. An LF without its CR is refused.
struct HTTP1HeadScanner {
    /// Bytes already searched (a slow client's head is not searched again from the start).
    private var searched = 0

    mutating func reset() { searched = 0 }

    /// Nothing of the head searched yet: it may be read in one pass (`HeaderFields.scanningHead`).
    var isFresh: Bool { searched == 0 }

    /// The offset just past the empty line that ends the head in `buffer`'s readable bytes, if it
    /// is there yet. Line feeds are found sixteen bytes at a time (CWeftBytes); a CR elsewhere is
    /// the field parser's to refuse.
    mutating func headEnd(in buffer: ByteBuffer) throws -> Int? {
        let end = buffer.withUnsafeReadableBytes { bytes -> Int in
            guard let base = bytes.baseAddress else { return -1 }
            return weft_head_end(base.assumingMemoryBound(to: UInt8.self), bytes.count, max(searched - 3, 0))
        }
        if end == -2 { throw HTTPParserError.lfExpected }
        searched = end < 0 ? buffer.readableBytes : 0
        return end < 0 ? nil : end
    }

    /// A head that is all in `bytes`, read in one pass (`HeaderFields.scanningHead`): where its first
    /// line ends, its fields, and the offset just past it. Nil when it is not all there or has
    /// something to refuse: the long way (`headEnd`, then the lines) then says what is wrong.
    static func wholeHead(in bytes: UnsafeRawBufferPointer, room: Int, maximum: Int, spare: inout SpareHeaderStorage?) throws
        -> (lineEnd: Int, headers: HeaderFields, end: Int)? {
        guard let lineEnd = firstLineEnd(in: bytes),
              let (headers, end) = HeaderFields.scanningHead(UnsafeRawBufferPointer(rebasing: bytes[(lineEnd + 2)...]), room: room, reusing: &spare)
        else { return nil }
        let headEnd = lineEnd + 2 + end
        guard headEnd <= maximum else { throw HTTPParserError.headerOverflow }
        return (lineEnd, headers, headEnd)
    }

    /// Where the first line of `bytes` ends (its CR), sixteen bytes at a time (CWeftBytes); nil
    /// when no line feed is there, or the first comes without its CR.
    static func firstLineEnd(in bytes: UnsafeRawBufferPointer) -> Int? {
        guard let base = bytes.baseAddress else { return nil }
        let end = weft_first_line_end(base.assumingMemoryBound(to: UInt8.self), bytes.count)
        return end < 0 ? nil : end
    }
}
