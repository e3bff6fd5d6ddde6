import NIOCore
import NIOHTTP1
import WeftModel

/// The methods of the requests written on an upstream connection whose responses have not begun:
/// the response decoder needs each one's (a HEAD's answer has no body). Shared by the connection's
/// encoder, which adds, and its decoder, which takes. Kept as what framing reads of them: NIO's
/// method is an enum with a String case, and an array of them was copied and destroyed through
/// its value witnesses (~200 instructions a response).
final class UpstreamRequestMethods {
    /// What a response's framing needs to know of the request it answers.
    enum Kind: UInt8 {
        case head, connect, other

        init(_ method: HTTPMethod) {
            self = method.isHEAD ? .head : method.isCONNECT ? .connect : .other
        }

        var isHEAD: Bool { self == .head }
        var isCONNECT: Bool { self == .connect }
    }

    private var methods: [Kind] = []
    private var first = 0

    func sent(_ method: HTTPMethod) { methods.append(Kind(method)) }

    func answered() -> Kind? {
        guard first < methods.count else { return nil }
        let method = methods[first]
        first += 1
        if first == methods.count {
            // Popped, not `removeAll(keepingCapacity:)`, whose generic range replacement cost ~80 instructions.
            while methods.popLast() != nil {}
            first = 0
        }
        return method
    }
}

/// Reads an upstream's HTTP/1.1 responses into `ProxyResponsePart`s: a head with its fields kept as
/// the received bytes, the body as it arrives (chunks de-chunked), the end. Interim 1xx answers are
/// dropped (as NIO's decoder dropped them); after a 101, or a 2xx to CONNECT, parsing stops and the
/// bytes past it go on, on removal, to the splice that takes over. A response the proxy cannot read
/// one way only is an `HTTPParserError` (Envoy's 502 UPE); one nobody asked for, NIO's `unsolicitedResponse`.
/// With a `receiver` the parts go straight to it, not down the pipeline (see `HTTP1RequestReceiver`).
struct HTTP1ResponseDecoder: ByteToMessageDecoder {
    typealias InboundOut = ProxyResponsePart

    /// A response head past this is refused (Envoy's default for upstream headers is the same 60 KiB).
    static let maximumHeadBytes = 64 * 1024

    let methods: UpstreamRequestMethods
    private var phase = HTTP1MessagePhase<ProxyResponseHead>()
    private var scanner = HTTP1HeadScanner()
    private var receiver: (any HTTP1ResponseReceiver)?

    init(methods: UpstreamRequestMethods, receiver: (any HTTP1ResponseReceiver)? = nil) {
        self.methods = methods
        self.receiver = receiver
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        switch phase.state {
        case .head: return try decodeHead(context: context, buffer: &buffer)
        case .body:
            let receiver = self.receiver
            return try phase.decodeBody(buffer: &buffer) { (part: consuming ProxyResponsePart) in Self.deliver(consume part, to: receiver, context: context) }
        case .stopped: return .needMoreData
        }
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        if phase.forwardLeftovers(context: context, buffer: &buffer, seenEOF: seenEOF) { return .needMoreData }
        while buffer.readableBytes > 0, case .continue = try decode(context: context, buffer: &buffer) {}
        guard seenEOF else { return .needMoreData }
        switch phase.state {
        case .body(let reader) where reader.endsAtClose:
            // A body delimited by the close: it is whole.
            let receiver = self.receiver
            phase.end(trailers: nil) { (part: consuming ProxyResponsePart) in Self.deliver(consume part, to: receiver, context: context) }
        case .body:
            throw HTTPParserError.invalidEOFState
        case .head where buffer.readableBytes > 0:
            throw HTTPParserError.invalidEOFState
        case .head, .stopped:
            break
        }
        return .needMoreData
    }

    /// Room for the lines the proxy adds on the way (the head is edited where it is, `ForwardedHeaders.response`).
    private static let room = 320

    /// The head and where it ends, when all of it is in `buffer` and it reads in one pass; nil sends
    /// the caller the long way (which also says what is wrong with it, if anything).
    private static func wholeHead(in buffer: ByteBuffer, spare: inout SpareHeaderStorage?) throws -> (ProxyResponseHead, Int)? {
        try buffer.withUnsafeReadableBytes { bytes in
            guard let (lineEnd, headers, end) = try HTTP1HeadScanner.wholeHead(in: bytes, room: room, maximum: maximumHeadBytes, spare: &spare) else { return nil }
            let (version, status) = try HTTP1StatusLine.parse(UnsafeRawBufferPointer(rebasing: bytes[0..<lineEnd])).get()
            return (ProxyResponseHead(version: version, status: status, headers: headers), end)
        }
    }

    private mutating func decodeHead(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        var spare = receiver?.takeSpareHeaderStorage()
        // A head that arrived whole is read in one pass; else its end is found first (HTTP1RequestDecoder's way).
        var head: ProxyResponseHead
        let headEnd: Int
        if scanner.isFresh, let (whole, end) = try Self.wholeHead(in: buffer, spare: &spare) {
            (head, headEnd) = (whole, end)
        } else {
            guard let end = try scanner.headEnd(in: buffer) else {
                if buffer.readableBytes > Self.maximumHeadBytes { throw HTTPParserError.headerOverflow }
                return .needMoreData
            }
            guard end <= Self.maximumHeadBytes else { throw HTTPParserError.headerOverflow }
            headEnd = end
            head = try buffer.withUnsafeReadableBytes { bytes -> ProxyResponseHead in
                let lineEnd = HTTP1HeadScanner.firstLineEnd(in: bytes)!
                let (version, status) = try HTTP1StatusLine.parse(UnsafeRawBufferPointer(rebasing: bytes[0..<lineEnd])).get()
                let fieldsStart = lineEnd + 2
                let lines = UnsafeRawBufferPointer(rebasing: bytes[fieldsStart..<max(fieldsStart, headEnd - 2)])
                guard let headers = HeaderFields(validating: lines, room: Self.room, reusing: spare.take()) else { throw HTTPParserError.invalidHeaderToken }
                return ProxyResponseHead(version: version, status: status, headers: headers)
            }
        }
        buffer.moveReaderIndex(forwardBy: headEnd)
        let code = head.status.code
        // An interim answer (100 Continue, 103 Early Hints): the final one follows.
        if code < 200 && code != 101 { return .continue }
        guard let method = methods.answered() else { throw NIOHTTPDecoderError.unsolicitedResponse }
        let fields = HTTP1FramingFields(head.headers)
        let keepAlive = fields.keepsAlive(head.version)
        head.keepAliveAsRead = keepAlive
        let body = try HTTP1MessageFraming.ofResponse(head, to: method, fields: fields).get()
        phase.stopsAfterMessage = code == 101 || (method.isCONNECT && code >= 200 && code < 300)
        let receiver = self.receiver
        let deliver = { (part: consuming ProxyResponsePart) in Self.deliver(consume part, to: receiver, context: context) }
        // Handed over on its own and consumed: the receiver edits the head in place.
        if let receiver { receiver.receivedHead(consume head, keepAlive: keepAlive) } else { context.fireChannelRead(Self.wrapInboundOut(.head(consume head))) }
        switch body {
        case .none, .length(0): phase.begin(nil, deliver: deliver)
        case .length(let length): phase.begin(HTTP1BodyReader(length: length), deliver: deliver)
        case .chunked: phase.begin(.chunked, deliver: deliver)
        case .untilClose: phase.begin(.untilClose, deliver: deliver)
        }
        return .continue
    }

    private static func deliver(_ part: consuming ProxyResponsePart, to receiver: (any HTTP1ResponseReceiver)?, context: ChannelHandlerContext) {
        // Consumed in each branch: passed as they were, the part was copied for the call and destroyed here.
        if let receiver { receiver.received(consume part) } else { context.fireChannelRead(wrapInboundOut(consume part)) }
    }
}
