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
        let (host, port) = RequestAttributes.split(authority: authority, defaultPort: defaultPort)
        self.host = host
        self.port = port
        let parts = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        self.path = parts.first.map(String.init) ?? "/"
        self.query = parts.count > 1 ? String(parts[1]) : ""
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

    static func split(authority: String, defaultPort: Int) -> (String, Int) {
        if authority.hasPrefix("[") , let close = authority.firstIndex(of: "]") {
            let host = String(authority[authority.index(after: authority.startIndex)..<close])
            let rest = authority[authority.index(after: close)...]
            if rest.hasPrefix(":"), let port = Int(rest.dropFirst()) { return (host.lowercased(), port) }
            return (host.lowercased(), defaultPort)
        }
        if let colon = authority.lastIndex(of: ":"), let port = Int(authority[authority.index(after: colon)...]) {
            return (String(authority[..<colon]).lowercased(), port)
        }
        return (authority.lowercased(), defaultPort)
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
