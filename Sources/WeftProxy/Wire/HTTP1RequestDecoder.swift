import NIOCore
import NIOHTTP1
import WeftModel

/// Reads HTTP/1.1 requests off a downstream connection into `ProxyRequestPart`s: a head with its
/// fields kept as bytes (indexed, not made into Strings), then the body as it arrives (chunked
/// bodies de-chunked), then the end. What the proxy cannot read one way only is refused with the
/// parser error a 400 is answered for; a head past `maximumHeadBytes` with `.headerOverflow` (431).
/// After a CONNECT or an upgrade request the connection may stop speaking HTTP: parsing stops and
/// what was read past it goes on to whatever replaces this decoder (as NIO's `.forwardBytes`).
/// With a `receiver` the parts go straight to it, not down the pipeline (see `HTTP1RequestReceiver`).
struct HTTP1RequestDecoder: ByteToMessageDecoder {
    typealias InboundOut = ProxyRequestPart

    /// Envoy's default `max_request_headers_kb` (60), with room for the request line.
    static let maximumHeadBytes = 64 * 1024

    private var phase = HTTP1MessagePhase<ProxyRequestHead>()
    private var scanner = HTTP1HeadScanner()
    private var receiver: (any HTTP1RequestReceiver)?
    /// The last request's target, whose Strings the next one reuses where its bytes are the same.
    private var lastTarget: RequestTarget?

    init(receiver: (any HTTP1RequestReceiver)? = nil) {
        self.receiver = receiver
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        switch phase.state {
        case .head: return try decodeHead(context: context, buffer: &buffer)
        case .body:
            let receiver = self.receiver
            return try phase.decodeBody(buffer: &buffer) { (part: consuming ProxyRequestPart) in Self.deliver(consume part, to: receiver, context: context) }
        case .stopped: return .needMoreData
        }
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        if phase.forwardLeftovers(context: context, buffer: &buffer, seenEOF: seenEOF) { return .needMoreData }
        while buffer.readableBytes > 0, case .continue = try decode(context: context, buffer: &buffer) {}
        // A request cut short by the client's close: nothing to answer (NIO's decoder is as quiet about it).
        return .needMoreData
    }

    private mutating func decodeHead(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        // Empty lines before a request line are ignored (RFC 9112 §2.2).
        while buffer.readableBytes >= 2, buffer.getInteger(at: buffer.readerIndex, as: UInt16.self) == 0x0D0A {
            buffer.moveReaderIndex(forwardBy: 2)
            scanner.reset()
        }
        // A head that arrived whole (most do) is read in one pass; one cut short, or with something
        // to refuse, has its end found first and its lines read then, as before.
        let previous = lastTarget
        var spare = receiver?.takeSpareHeaderStorage()
        // Taken apart at once: a binding of the whole tuple kept a second reference to the fields
        // until the function's end, and forwarding then copied them to edit them.
        let method: HTTPMethod, uri: String, authority: String?, version: HTTPVersion, headers: HeaderFields, headEnd: Int
        if scanner.isFresh, let whole = try Self.wholeHead(in: buffer, previous: previous, spare: &spare) {
            (method, uri, authority, version, headers, headEnd) = whole
        } else {
            guard let end = try scanner.headEnd(in: buffer) else {
                if buffer.readableBytes > Self.maximumHeadBytes { throw HTTPParserError.headerOverflow }
                return .needMoreData
            }
            guard end <= Self.maximumHeadBytes else { throw HTTPParserError.headerOverflow }
            // The parts come out of the closure and the head is made here: returned whole through the
            // closure's generic result, the head was copied and the returned one destroyed.
            (method, uri, authority, version, headers, headEnd) = try buffer.withUnsafeReadableBytes { bytes in
                let lineEnd = HTTP1HeadScanner.firstLineEnd(in: bytes)!
                let (method, target, version) = try HTTP1RequestLine.parse(UnsafeRawBufferPointer(rebasing: bytes[0..<lineEnd]), reusing: previous).get()
                // The field lines, each with its CRLF, without the empty line that ends the head; with
                // room for the lines forwarding adds (request id, forwarding, trace context, peer metadata).
                let fieldsStart = lineEnd + 2
                let lines = UnsafeRawBufferPointer(rebasing: bytes[fieldsStart..<max(fieldsStart, end - 2)])
                guard let headers = HeaderFields(validating: lines, room: Self.room, reusing: spare.take()) else { throw HTTPParserError.invalidHeaderToken }
                return (method, target.originForm, target.authority, version, headers, end)
            }
        }
        buffer.moveReaderIndex(forwardBy: headEnd)
        lastTarget = RequestTarget(authority: authority, originForm: uri)
        let framing = try HTTP1MessageFraming.of(headers, version: version).get()
        phase.stopsAfterMessage = method.isCONNECT || (headers.contains("upgrade") && HTTPUpgrade.of(method: method, headers: headers) != nil)
        let receiver = self.receiver
        let deliver = { (part: consuming ProxyRequestPart) in Self.deliver(consume part, to: receiver, context: context) }
        // The head goes on its own (`receivedHead`), its parts and then itself consumed: a binding
        // left alive to the end of this function kept the fields shared while the head went
        // through the steps, and forwarding copied them to edit them.
        let keepAlive = ProxyRequestHead.keepsAlive(version: version, headers: headers)
        let head = ProxyRequestHead(version: version, method: method, uri: consume uri, headers: consume headers, targetAuthority: consume authority)
        if let receiver { receiver.receivedHead(consume head, keepAlive: keepAlive) } else { context.fireChannelRead(Self.wrapInboundOut(.head(consume head))) }
        switch framing {
        case .none: phase.begin(nil, deliver: deliver)
        case .contentLength(let length): phase.begin(HTTP1BodyReader(length: length), deliver: deliver)
        case .chunked: phase.begin(.chunked, deliver: deliver)
        }
        return .continue
    }

    /// Room for the lines forwarding adds (request id, forwarding, trace context, peer metadata).
    private static let room = 1024

    /// The head, when all of it is in `buffer` and it reads in one pass (`HTTP1HeadScanner.wholeHead`);
    /// nil sends the caller the long way (which also says what is wrong with it, if anything).
    private static func wholeHead(in buffer: ByteBuffer, previous: RequestTarget?, spare: inout SpareHeaderStorage?) throws
        -> (method: HTTPMethod, uri: String, authority: String?, version: HTTPVersion, headers: HeaderFields, end: Int)? {
        try buffer.withUnsafeReadableBytes { bytes in
            guard let (lineEnd, headers, end) = try HTTP1HeadScanner.wholeHead(in: bytes, room: room, maximum: maximumHeadBytes, spare: &spare) else { return nil }
            let (method, target, version) = try HTTP1RequestLine.parse(UnsafeRawBufferPointer(rebasing: bytes[0..<lineEnd]), reusing: previous).get()
            return (method, target.originForm, target.authority, version, headers, end)
        }
    }

    private static func deliver(_ part: consuming ProxyRequestPart, to receiver: (any HTTP1RequestReceiver)?, context: ChannelHandlerContext) {
        // Consumed in each branch: passed as they were, the part was copied for the call and destroyed here.
        if let receiver { receiver.received(consume part) } else { context.fireChannelRead(wrapInboundOut(consume part)) }
    }
}
