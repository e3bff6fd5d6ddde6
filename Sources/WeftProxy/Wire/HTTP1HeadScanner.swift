import NIOCore
import NIOHTTP1
#if canImport(Glibc)
import Glibc
#endif

/// Finds where an HTTP/1.1 head (or trailer section) ends: the CRLF CRLF, searched once per byte
/// however the bytes arrive. A CR without its LF, or an LF without its CR, is refused.
struct HTTP1HeadScanner {
    /// Bytes already searched (a slow client's head is not searched again from the start).
    private var searched = 0

    mutating func reset() { searched = 0 }

    /// The offset just past the empty line that ends the head in `buffer`'s readable bytes, if it
    /// is there yet. Line ends are found with `memchr`; a CR elsewhere is the field parser's to refuse.
    mutating func headEnd(in buffer: ByteBuffer) throws -> Int? {
        let result = try buffer.withUnsafeReadableBytes { bytes -> Int? in
            guard let base = bytes.baseAddress else { return nil }
            var index = max(searched - 3, 0)
            while index < bytes.count, let found = memchr(base + index, 0x0A, bytes.count - index) {
                let lf = base.distance(to: UnsafeRawPointer(found))
                guard lf > 0, bytes[lf - 1] == 0x0D else { throw HTTPParserError.lfExpected }
                if lf >= 3, bytes[lf - 2] == 0x0A, bytes[lf - 3] == 0x0D { return lf + 1 }
                index = lf + 1
            }
            return nil
        }
        searched = result == nil ? buffer.readableBytes : 0
        return result
    }

    /// Where the first line of `bytes` ends (its CR).
    static func firstLineEnd(in bytes: UnsafeRawBufferPointer) -> Int? {
        var index = 0
        while index + 1 < bytes.count {
            if bytes[index] == 0x0D, bytes[index + 1] == 0x0A { return index }
            index += 1
        }
        return nil
    }
}
