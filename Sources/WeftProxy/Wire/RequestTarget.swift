#if canImport(Glibc)
import Glibc
#endif
import WeftModel

/// A request's target (RFC 9112 §3.2) as the proxy routes it: the origin form (`/path?query`) and,
/// when the client sent the absolute form a forward proxy is sent (`http://host:port/path?q`, what a
/// client going through a sidecar as its HTTP proxy writes), the authority it names. Split from the
/// line's bytes when the request line is read, so the whole target is never made into a String.
struct RequestTarget: Equatable, Sendable {
    /// The authority of an absolute-form target; nil for the origin, authority and asterisk forms.
    var authority: String?
    /// The target without scheme and authority: `/path?query`, `/` for `http://host`, `/?q` for
    /// `http://host?q`; any other form as it came.
    var originForm: String

    /// Reads the target's bytes. `previous`, the connection's last target: its Strings are taken
    /// again where the bytes are the same (a client sends the same authority, and often the same
    /// path, request after request; each String past 15 bytes is an allocation and its copy).
    init(_ bytes: UnsafeRawBufferPointer, reusing previous: RequestTarget? = nil) {
        let bytes = bytes.assumingMemoryBound(to: UInt8.self)
        if let parts = Self.absoluteForm(bytes) {
            self.init(bytes, authority: parts.authority, path: parts.path, reusing: previous)
        } else {
            self.init(authority: nil, originForm: Self.string(bytes, reusing: previous?.originForm))
        }
    }

    /// Reads a target kept as a String (a head made other than by the request decoder); any form
    /// but the absolute one is kept as the String it is.
    init(_ uri: String) {
        var uri = uri
        let split = uri.withUTF8 { bytes in Self.absoluteForm(bytes).map { Self(bytes, authority: $0.authority, path: $0.path) } }
        self = split ?? Self(authority: nil, originForm: uri)
    }

    private init(_ bytes: UnsafeBufferPointer<UInt8>, authority: Range<Int>, path: Range<Int>, reusing previous: RequestTarget? = nil) {
        let authorityText = Self.string(UnsafeBufferPointer(rebasing: bytes[authority]), reusing: previous?.authority)
        if path.isEmpty {
            self.init(authority: authorityText, originForm: "/")
        } else if bytes[path.lowerBound] == UInt8(ascii: "?") {
            self.init(authority: authorityText, originForm: "/" + String(decoding: UnsafeBufferPointer(rebasing: bytes[path]), as: UTF8.self))
        } else {
            self.init(authority: authorityText, originForm: Self.string(UnsafeBufferPointer(rebasing: bytes[path]), reusing: previous?.originForm))
        }
    }

    /// `bytes` as a String: `previous` when it holds the same bytes. Also for a String of up to
    /// 15 bytes, kept inline: making one validates its UTF-8 (~250 instructions), comparing is a memcmp.
    private static func string(_ bytes: UnsafeBufferPointer<UInt8>, reusing previous: String?) -> String {
        if var previous, previous.utf8.count == bytes.count, let start = bytes.baseAddress {
            let same = previous.withUTF8 { known in known.baseAddress.map { memcmp($0, start, bytes.count) == 0 } ?? false }
            if same { return previous }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    init(authority: String?, originForm: String) {
        self.authority = authority
        self.originForm = originForm
    }

    /// Where an `http://` or `https://` target's authority and the rest (path and query) are.
    private static func absoluteForm(_ bytes: UnsafeBufferPointer<UInt8>) -> (authority: Range<Int>, path: Range<Int>)? {
        // Origin form, what most requests are: no scheme to look for.
        guard bytes.count >= 7, let base = bytes.baseAddress, base.pointee != UInt8(ascii: "/") else { return nil }
        // "http" in any case as one load (0x20 lower-cases a letter and makes nothing else one of
        // these), then "://" or "s://" (a loop over the schemes' StaticStrings cost ~250 instructions).
        let scheme = UInt32(littleEndian: UnsafeRawPointer(base).loadUnaligned(as: UInt32.self)) | 0x2020_2020
        guard scheme == 0x7074_7468 else { return nil }
        var start = 4
        if bytes[4] | 0x20 == UInt8(ascii: "s") { start = 5 }
        guard start + 3 <= bytes.count, bytes[start] == UInt8(ascii: ":"), bytes[start + 1] == UInt8(ascii: "/"),
              bytes[start + 2] == UInt8(ascii: "/") else { return nil }
        start += 3
        // '/' and '?' are ASCII: where they are is where the parts split.
        let end = bytes[start...].firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") } ?? bytes.count
        return (start..<end, end..<bytes.count)
    }
}
