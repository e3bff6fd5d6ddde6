/// One finished span in Zipkin's v2 model (`definitions/Span` of zipkin2-api.yaml): a single
/// proxy's view of one request. Written as JSON by hand: a batch of spans is made on the exporter's
/// own task, never on the data path, but it should not need Foundation either.
public struct ZipkinSpan: Sendable, Hashable {
    /// Zipkin's span kinds; a proxy makes CLIENT (it calls out) and SERVER (it was called) spans.
    public enum Kind: String, Sendable, Hashable, Codable { case CLIENT, SERVER, PRODUCER, CONSUMER }

    /// A network endpoint: a service name and an address.
    public struct Endpoint: Sendable, Hashable {
        public var serviceName: String?
        public var ipv4: String?
        public var ipv6: String?
        public var port: Int?
        public init(serviceName: String? = nil, ipv4: String? = nil, ipv6: String? = nil, port: Int? = nil) {
            self.serviceName = serviceName
            self.ipv4 = ipv4
            self.ipv6 = ipv6
            self.port = port
        }

        /// An `ip:port` or `[ip6]:port` address as an endpoint (nil when it is neither).
        public init?(address: String, serviceName: String? = nil) {
            var host = Substring(address)
            var port: Int?
            if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
                let rest = host[host.index(after: close)...]
                if rest.hasPrefix(":") { port = Int(rest.dropFirst()) }
                host = host[host.index(after: host.startIndex)..<close]
            } else if let colon = host.lastIndex(of: ":"), host.firstIndex(of: ":") == colon {
                port = Int(host[host.index(after: colon)...])
                host = host[..<colon]
            }
            guard !host.isEmpty else { return nil }
            if host.contains(":") {
                self.init(serviceName: serviceName, ipv6: String(host), port: port)
            } else if host.split(separator: ".").count == 4, host.allSatisfy({ $0.isNumber || $0 == "." }) {
                self.init(serviceName: serviceName, ipv4: String(host), port: port)
            } else {
                return nil
            }
        }
    }

    public var traceID: String
    public var id: String
    public var parentID: String?
    public var name: String?
    public var kind: Kind?
    /// Epoch microseconds.
    public var timestamp: Int64
    /// Microseconds, at least 1.
    public var duration: Int64
    public var debug = false
    public var shared = false
    public var localEndpoint: Endpoint?
    public var remoteEndpoint: Endpoint?
    /// Tags by name; Zipkin's tag values are strings.
    public var tags: [(String, String)] = []

    public init(traceID: String, id: String, parentID: String? = nil, name: String? = nil, kind: Kind? = nil, timestamp: Int64, duration: Int64) {
        self.traceID = traceID
        self.id = id
        self.parentID = parentID
        self.name = name
        self.kind = kind
        self.timestamp = timestamp
        self.duration = max(1, duration)
    }

    public static func == (lhs: ZipkinSpan, rhs: ZipkinSpan) -> Bool { lhs.json == rhs.json }
    public func hash(into hasher: inout Hasher) { hasher.combine(json) }

    /// The span as one JSON object (tags in the order given; Zipkin sorts nothing).
    public var json: String {
        var out = "{"
        JSONText.appendString("traceId", to: &out); out += ":"; JSONText.appendString(traceID, to: &out)
        out += ",\"id\":"; JSONText.appendString(id, to: &out)
        if let parentID { out += ",\"parentId\":"; JSONText.appendString(parentID, to: &out) }
        if let name { out += ",\"name\":"; JSONText.appendString(name, to: &out) }
        if let kind { out += ",\"kind\":\"\(kind.rawValue)\"" }
        out += ",\"timestamp\":\(timestamp),\"duration\":\(duration)"
        if debug { out += ",\"debug\":true" }
        if shared { out += ",\"shared\":true" }
        if let localEndpoint { out += ",\"localEndpoint\":"; Self.append(localEndpoint, &out) }
        if let remoteEndpoint { out += ",\"remoteEndpoint\":"; Self.append(remoteEndpoint, &out) }
        if !tags.isEmpty {
            out += ",\"tags\":{"
            for (index, tag) in tags.enumerated() {
                if index > 0 { out += "," }
                JSONText.appendString(tag.0, to: &out)
                out += ":"
                JSONText.appendString(tag.1, to: &out)
            }
            out += "}"
        }
        out += "}"
        return out
    }

    static func append(_ endpoint: Endpoint, _ out: inout String) {
        var fields: [String] = []
        if let name = endpoint.serviceName { var text = "\"serviceName\":"; JSONText.appendString(name, to: &text); fields.append(text) }
        if let ipv4 = endpoint.ipv4 { var text = "\"ipv4\":"; JSONText.appendString(ipv4, to: &text); fields.append(text) }
        if let ipv6 = endpoint.ipv6 { var text = "\"ipv6\":"; JSONText.appendString(ipv6, to: &text); fields.append(text) }
        if let port = endpoint.port { fields.append("\"port\":\(port)") }
        out += "{" + fields.joined(separator: ",") + "}"
    }

    /// A `ListOfSpans` body.
    public static func listJSON(_ spans: [ZipkinSpan]) -> String {
        "[" + spans.map(\.json).joined(separator: ",") + "]"
    }
}
