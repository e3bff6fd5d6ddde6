/// The parts of an HTTP request that routing looks at.
public struct RequestAttributes: Sendable, Hashable {
    /// Host as addressed, without port, lower-cased.
    public var host: String
    /// Destination port (80 when the authority names none).
    public var port: Int
    /// Path without the query string.
    public var path: String
    /// Raw query string (after `?`), or "".
    public var query: String
    public var method: String
    public var scheme: String
    /// The request's headers (read by name in any case; iterated with names lower-cased); repeated
    /// headers keep every value.
    public var headers: HeaderFields
    /// What a verified JWT says, once RequestAuthentication ran (`@request.auth.claims.*` matches read it).
    public var auth: RequestAuthAttributes?

    public init(authority: String, path: String, method: String = "GET", scheme: String = "http", headers: [(String, String)], defaultPort: Int = 80) {
        self.init(authority: authority, path: path, method: method, scheme: scheme, fields: HeaderFields(headers), defaultPort: defaultPort)
    }

    public init(authority: String, path: String, method: String = "GET", scheme: String = "http", fields: HeaderFields = HeaderFields(), defaultPort: Int = 80) {
        self.init(host: RequestAttributes.split(authority: authority, defaultPort: defaultPort), path: path, method: method, scheme: scheme, fields: fields)
    }

    /// With the authority already split (`split(authority:defaultPort:)`).
    public init(host: (String, Int), path: String, method: String, scheme: String, fields: HeaderFields) {
        let (host, port) = host
        self.host = host
        self.port = port
        (self.path, self.query) = Self.split(path: path)
        self.method = method
        self.scheme = scheme
        self.headers = fields
    }

    /// The authority as sent (`host:port`, port left out when it is the default 80).
    public var authority: String { port == 80 ? host : "\(host):\(port)" }

    public func header(_ name: String) -> String? {
        headers.first(name: name)
    }

    /// The first value of a query parameter, percent-decoded.
    public func queryParameter(_ name: String) -> String? {
        for pair in query.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if String(kv[0]) == name { return kv.count > 1 ? (String(kv[1]).removingPercentEncodingSafe) : "" }
        }
        return nil
    }

    /// `host[:port]` or `[v6]:port` → (host lower-cased, port), read on the bytes (this runs for
    /// every request; String's Character-wise search and Int parsing cost ~3k instructions).
    public static func split(authority: String, defaultPort: Int) -> (String, Int) {
        var authority = authority
        return authority.withUTF8 { bytes in
            var host = 0..<bytes.count
            var port = defaultPort
            if bytes.first == UInt8(ascii: "["), let close = bytes.firstIndex(of: UInt8(ascii: "]")) {
                host = 1..<close
                if close + 1 < bytes.count, bytes[close + 1] == UInt8(ascii: ":"), let number = Self.port(bytes[(close + 2)...]) { port = number }
            } else if let colon = bytes.lastIndex(of: UInt8(ascii: ":")), let number = Self.port(bytes[(colon + 1)...]) {
                host = 0..<colon
                port = number
            }
            return (Self.lowercased(UnsafeBufferPointer(rebasing: bytes[host])), port)
        }
    }

    /// A port's digits (1 to 9 of them) as a number; nil for anything else.
    private static func port(_ digits: Slice<UnsafeBufferPointer<UInt8>>) -> Int? {
        guard !digits.isEmpty, digits.count <= 9 else { return nil }
        var value = 0
        for byte in digits {
            guard byte &- UInt8(ascii: "0") < 10 else { return nil }
            value = value * 10 + Int(byte &- UInt8(ascii: "0"))
        }
        return value
    }

    /// ASCII lower-cased without a second String when there is nothing to lower; anything beyond
    /// ASCII goes through String's full case mapping.
    private static func lowercased(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        guard !bytes.contains(where: { $0 >= 0x80 }) else { return String(decoding: bytes, as: UTF8.self).lowercased() }
        guard bytes.contains(where: { $0 &- 65 < 26 }) else { return String(decoding: bytes, as: UTF8.self) }
        return String(unsafeUninitializedCapacity: bytes.count) { target in
            for (offset, byte) in bytes.enumerated() { target[offset] = HTTPToken.lower(byte) }
            return bytes.count
        }
    }

    /// A request target's path and query (after the first `?`), split on the bytes; a target
    /// without a query is its own path (not a String made again).
    static func split(path: String) -> (path: String, query: String) {
        var target = path
        let split = target.withUTF8 { bytes -> (path: String, query: String)? in
            guard let mark = bytes.firstIndex(of: UInt8(ascii: "?")) else { return nil }
            return (String(decoding: UnsafeBufferPointer(rebasing: bytes[..<mark]), as: UTF8.self),
                    String(decoding: UnsafeBufferPointer(rebasing: bytes[(mark + 1)...]), as: UTF8.self))
        }
        return split ?? (path, "")
    }

    public static func == (lhs: RequestAttributes, rhs: RequestAttributes) -> Bool {
        lhs.host == rhs.host && lhs.port == rhs.port && lhs.path == rhs.path && lhs.query == rhs.query && lhs.method == rhs.method
            && lhs.scheme == rhs.scheme && lhs.headers == rhs.headers
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(host)
        hasher.combine(port)
        hasher.combine(path)
    }
}

extension String {
    /// Percent-decoding that leaves malformed escapes as they are.
    var removingPercentEncodingSafe: String {
        var bytes: [UInt8] = []
        var iterator = Array(utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "%"), iterator.count >= 2,
               let value = UInt8(String(decoding: iterator.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                iterator = iterator.dropFirst(2)
            } else if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
