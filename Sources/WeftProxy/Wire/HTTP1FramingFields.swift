import NIOHTTP1
import WeftModel

/// What a head's Content-Length, Transfer-Encoding and Connection fields say, read in one pass over
/// its fields: a response's framing and its keep-alive were each looked up by name before (two
/// `contains`, a pass for the lengths, and the keep-alive's own two, per response).
struct HTTP1FramingFields {
    private static let names: HeaderNameSet = ["content-length", "transfer-encoding", "connection"]

    /// A Transfer-Encoding field is there.
    private(set) var hasTransferEncoding = false
    /// The last transfer coding of the Transfer-Encoding fields is `chunked`.
    private(set) var chunkedLast = false
    /// A Content-Length field is there.
    private(set) var hasContentLength = false
    /// The Content-Length fields' one length (a list of equal values is one); nil with `hasContentLength`
    /// when they are not digits or differ.
    private(set) var contentLength: Int?
    /// A Connection field lists `close` / `keep-alive`.
    private(set) var hasConnection = false
    private(set) var listsClose = false
    private(set) var listsKeepAlive = false

    init(_ headers: HeaderFields) {
        var lengthValid = true
        headers.forEachValue(ofAny: Self.names) { which, value in
            switch which {
            case 0:
                hasContentLength = true
                lengthValid = lengthValid && HTTP1MessageFraming.readLengths(value, into: &contentLength)
            case 1:
                hasTransferEncoding = true
                HeaderFields.forEachElement(of: value) { chunkedLast = HTTPToken.equalsIgnoringCase($0, "chunked") }
            default:
                hasConnection = true
                HeaderFields.forEachElement(of: value) { element in
                    if HTTPToken.equalsIgnoringCase(element, "close") { listsClose = true }
                    if HTTPToken.equalsIgnoringCase(element, "keep-alive") { listsKeepAlive = true }
                }
            }
        }
        if !lengthValid { contentLength = nil }
    }

    /// The connection stays open after this message, as `ProxyRequestHead.keepsAlive` reads it.
    func keepsAlive(_ version: HTTPVersion) -> Bool {
        let http11 = version.major == 1 && version.minor >= 1
        guard hasConnection else { return http11 }
        return http11 ? !listsClose : listsKeepAlive
    }
}
