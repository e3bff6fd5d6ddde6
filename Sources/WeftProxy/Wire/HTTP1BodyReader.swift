import NIOCore
import NIOHTTP1
import WeftModel

/// Reads one HTTP/1.1 message body as its framing delimits it (RFC 9112 §6–7): a length, chunks
/// (de-chunked, extensions ignored, trailers kept), or everything until the connection closes.
/// Shared by the request and the response decoders.
struct HTTP1BodyReader {
    /// What reading gave: some body, or the message's end (with trailers after chunks).
    enum Event {
        case body(ByteBuffer)
        case end(HTTPHeaders?)
    }

    /// A chunk-size line (with extensions) past this is refused.
    static let maximumChunkLineBytes = 4096

    private enum State {
        case length(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case untilClose
        case done
    }

    private var state: State

    init(length: Int) { state = length == 0 ? .done : .length(remaining: length) }
    static var chunked: HTTP1BodyReader { HTTP1BodyReader(state: .chunkSize) }
    static var untilClose: HTTP1BodyReader { HTTP1BodyReader(state: .untilClose) }
    private init(state: State) { self.state = state }

    /// The next event from `buffer`, nil when more bytes are needed (or the body is over).
    mutating func read(_ buffer: inout ByteBuffer) throws -> Event? {
        while true {
            switch state {
            case .done:
                return nil
            case .length(let remaining):
                guard buffer.readableBytes > 0 else { return nil }
                let slice = buffer.readSlice(length: min(remaining, buffer.readableBytes))!
                state = remaining == slice.readableBytes ? .done : .length(remaining: remaining - slice.readableBytes)
                return .body(slice)
            case .untilClose:
                guard buffer.readableBytes > 0 else { return nil }
                return .body(buffer.readSlice(length: buffer.readableBytes)!)
            case .chunkSize:
                guard let line = try Self.readLine(&buffer) else { return nil }
                let size = try Self.chunkSize(line)
                state = size == 0 ? .trailers : .chunkData(remaining: size)
            case .chunkData(let remaining):
                guard buffer.readableBytes > 0 else { return nil }
                let slice = buffer.readSlice(length: min(remaining, buffer.readableBytes))!
                state = remaining == slice.readableBytes ? .chunkDataEnd : .chunkData(remaining: remaining - slice.readableBytes)
                return .body(slice)
            case .chunkDataEnd:
                guard buffer.readableBytes >= 2 else { return nil }
                guard buffer.readInteger(as: UInt16.self) == 0x0D0A else { throw HTTPParserError.invalidChunkSize }
                state = .chunkSize
            case .trailers:
                guard let trailers = try readTrailers(&buffer) else { return nil }
                state = .done
                return .end(trailers.isEmpty ? nil : HTTPHeaders(trailers.map { ($0.name, $0.value) }))
            }
        }
    }

    /// Whether the body is over once `read` has nothing more: true for a length or chunks read to
    /// their end (the `.end` event of chunks carries the trailers).
    var finished: Bool {
        if case .done = state { return true }
        return false
    }

    /// The connection closed: the end of a body read until then.
    var endsAtClose: Bool {
        if case .untilClose = state { return true }
        return false
    }

    /// The trailer section: field lines, then an empty line; nil until it is all here.
    private func readTrailers(_ buffer: inout ByteBuffer) throws -> HeaderFields? {
        if buffer.readableBytes >= 2, buffer.getInteger(at: buffer.readerIndex, as: UInt16.self) == 0x0D0A {
            buffer.moveReaderIndex(forwardBy: 2)
            return HeaderFields()
        }
        var scanner = HTTP1HeadScanner()
        guard let sectionEnd = try scanner.headEnd(in: buffer) else { return nil }
        defer { buffer.moveReaderIndex(forwardBy: sectionEnd) }
        guard let fields = buffer.withUnsafeReadableBytes({ HeaderFields(validating: UnsafeRawBufferPointer(rebasing: $0[..<(sectionEnd - 2)])) }) else {
            throw HTTPParserError.invalidHeaderToken
        }
        return fields
    }

    /// Reads one CRLF-ended line (without its CRLF); nil when it is not all here yet.
    private static func readLine(_ buffer: inout ByteBuffer) throws -> ByteBuffer? {
        let end = buffer.withUnsafeReadableBytes { bytes -> Int? in
            guard let crlf = bytes.firstIndex(of: 0x0D) else { return nil }
            return crlf + 1 < bytes.count ? (bytes[crlf + 1] == 0x0A ? crlf : -1) : nil
        }
        guard let end else {
            if buffer.readableBytes > maximumChunkLineBytes { throw HTTPParserError.invalidChunkSize }
            return nil
        }
        guard end >= 0, end <= maximumChunkLineBytes else { throw HTTPParserError.invalidChunkSize }
        let line = buffer.readSlice(length: end)!
        buffer.moveReaderIndex(forwardBy: 2)
        return line
    }

    /// A chunk-size line's hexadecimal size (extensions after `;` ignored).
    static func chunkSize(_ line: ByteBuffer) throws -> Int {
        var size = 0
        var digits = 0
        for byte in line.readableBytesView {
            let value: Int
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = Int(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = Int(byte - UInt8(ascii: "a")) + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): value = Int(byte - UInt8(ascii: "A")) + 10
            case UInt8(ascii: ";"), 0x20, 0x09:
                guard digits > 0 else { throw HTTPParserError.invalidChunkSize }
                return size
            default: throw HTTPParserError.invalidChunkSize
            }
            digits += 1
            guard digits <= 15 else { throw HTTPParserError.invalidChunkSize }
            size = size * 16 + value
        }
        guard digits > 0 else { throw HTTPParserError.invalidChunkSize }
        return size
    }
}
