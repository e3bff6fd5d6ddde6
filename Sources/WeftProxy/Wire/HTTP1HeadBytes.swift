import NIOCore
import NIOHTTP1
import WeftModel

/// A head's start line and field lines written into a buffer in one step each: every
/// `ByteBuffer` write checks its storage's uniqueness and access (~120 instructions), and a head
/// written piece by piece (method, space, target, version, each run of lines, the empty line)
/// made a dozen of them per request.
extension ByteBuffer {
    /// `GET /path HTTP/1.1` CRLF.
    mutating func writeRequestLine(method: HTTPMethod, target: String, version: HTTPVersion) {
        if let name = Self.commonMethodName(method) {
            name.withUTF8Buffer { writeRequestLine(method: $0, target: target, version: version) }
        } else {
            var name = method.rawValue
            name.withUTF8 { writeRequestLine(method: $0, target: target, version: version) }
        }
    }

    private mutating func writeRequestLine(method name: UnsafeBufferPointer<UInt8>, target: String, version: HTTPVersion) {
        var target = target
        let versionText: StaticString = version == .http1_0 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n"
        target.withUTF8 { target in
            let count = name.count + 1 + target.count + versionText.utf8CodeUnitCount
            writeWithUnsafeMutableBytes(minimumWritableBytes: count) { out in
                guard let base = out.baseAddress else { return 0 }
                var at = 0
                func put(_ start: UnsafeRawPointer?, _ count: Int) {
                    if let start, count > 0 { (base + at).copyMemory(from: start, byteCount: count) }
                    at += count
                }
                put(name.baseAddress, name.count)
                base.storeBytes(of: UInt8(ascii: " "), toByteOffset: at, as: UInt8.self)
                at += 1
                put(target.baseAddress, target.count)
                put(versionText.utf8Start, versionText.utf8CodeUnitCount)
                return at
            }
        }
    }

    /// The head's field lines as they are (`HeaderFields.withLineRuns`), then the empty line that
    /// ends the head; `lineBytes` is `headers.storedLineBytes` (at least what the runs add up to),
    /// which the caller has read already.
    mutating func writeFieldLinesAndEnd(_ headers: HeaderFields, lineBytes: Int) {
        writeWithUnsafeMutableBytes(minimumWritableBytes: lineBytes + 2) { out in
            guard let base = out.baseAddress else { return 0 }
            var at = 0
            headers.withLineRuns { run in
                // The runs add up to no more than `lineBytes`, for which room was asked.
                if let start = run.baseAddress, at + run.count <= lineBytes { (base + at).copyMemory(from: start, byteCount: run.count) }
                at += run.count
            }
            at = Swift.min(at, lineBytes)
            base.storeBytes(of: 0x0D, toByteOffset: at, as: UInt8.self)
            base.storeBytes(of: 0x0A, toByteOffset: at + 1, as: UInt8.self)
            return at + 2
        }
    }

    /// `HTTP/1.1 200 OK` CRLF: the code and its standard reason phrase.
    mutating func writeStatusLine(_ status: HTTPResponseStatus, version: HTTPVersion) {
        if status == .ok {
            writeStaticString(version == .http1_0 ? "HTTP/1.0 200 OK\r\n" : "HTTP/1.1 200 OK\r\n")
            return
        }
        writeString("\(version == .http1_0 ? "HTTP/1.0" : "HTTP/1.1") \(status.code) \(status.reasonPhrase)\r\n")
    }

    /// The common methods' names as static text (`HTTPMethod.rawValue` builds a String each time).
    private static func commonMethodName(_ method: HTTPMethod) -> StaticString? {
        switch method {
        case .GET: "GET"
        case .POST: "POST"
        case .PUT: "PUT"
        case .DELETE: "DELETE"
        case .HEAD: "HEAD"
        case .PATCH: "PATCH"
        case .OPTIONS: "OPTIONS"
        default: nil
        }
    }
}
