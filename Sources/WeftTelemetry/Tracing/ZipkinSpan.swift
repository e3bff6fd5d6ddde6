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

        /// An `ip:port` or `[ip6]:port` address as an endpoint (nil when it is neither). Read on
        /// its UTF-8 bytes (Character by Character it was ~40k instructions a span).
        public init?(address: String, serviceName: String? = nil) {
            let bytes = Array(address.utf8)
            var host = bytes[...]
            var port: Int?
            let colons = bytes.indices.filter { bytes[$0] == UInt8(ascii: ":") }
            if bytes.first == UInt8(ascii: "["), let close = bytes.firstIndex(of: UInt8(ascii: "]")) {
                let rest = bytes[(close + 1)...]
                if rest.first == UInt8(ascii: ":") { port = Self.port(rest.dropFirst()) }
                host = bytes[1..<close]
            } else if colons.count == 1, let colon = colons.first {
                port = Self.port(bytes[(colon + 1)...])
                host = bytes[..<colon]
            }
            guard !host.isEmpty else { return nil }
            let text = String(decoding: host, as: UTF8.self)
            if host.contains(UInt8(ascii: ":")) {
                self.init(serviceName: serviceName, ipv6: text, port: port)
            } else if host.split(separator: UInt8(ascii: ".")).count == 4,
                      host.allSatisfy({ ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: ".") }) {
                self.init(serviceName: serviceName, ipv4: text, port: port)
            } else {
                return nil
            }
        }

        /// Decimal digits as a port (Int(_:) on their text: nil when empty or not a number).
        private static func port(_ digits: ArraySlice<UInt8>) -> Int? {
            Int(String(decoding: digits, as: UTF8.self))
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
        var out: [UInt8] = []
        out.reserveCapacity(512 + tags.count * 48)
        appendJSON(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Written as UTF-8 bytes: a String appended to piece by piece cost ~100k instructions a span.
    func appendJSON(to out: inout [UInt8]) {
        func literal(_ text: StaticString) { out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)) }
        func number(_ value: Int64) { out.append(contentsOf: String(value).utf8) }
        literal("{\"traceId\":"); JSONText.appendString(traceID, to: &out)
        literal(",\"id\":"); JSONText.appendString(id, to: &out)
        if let parentID { literal(",\"parentId\":"); JSONText.appendString(parentID, to: &out) }
        if let name { literal(",\"name\":"); JSONText.appendString(name, to: &out) }
        if let kind { literal(",\"kind\":"); JSONText.appendString(kind.rawValue, to: &out) }
        literal(",\"timestamp\":"); number(timestamp)
        literal(",\"duration\":"); number(duration)
        if debug { literal(",\"debug\":true") }
        if shared { literal(",\"shared\":true") }
        if let localEndpoint { literal(",\"localEndpoint\":"); Self.append(localEndpoint, &out) }
        if let remoteEndpoint { literal(",\"remoteEndpoint\":"); Self.append(remoteEndpoint, &out) }
        if !tags.isEmpty {
            literal(",\"tags\":{")
            for (index, tag) in tags.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONText.appendString(tag.0, to: &out)
                out.append(UInt8(ascii: ":"))
                JSONText.appendString(tag.1, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "}"))
    }

    static func append(_ endpoint: Endpoint, _ out: inout [UInt8]) {
        var first = true
        func field(_ name: StaticString) {
            out.append(UInt8(ascii: first ? "{" : ","))
            first = false
            out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        }
        if let name = endpoint.serviceName { field("\"serviceName\":"); JSONText.appendString(name, to: &out) }
        if let ipv4 = endpoint.ipv4 { field("\"ipv4\":"); JSONText.appendString(ipv4, to: &out) }
        if let ipv6 = endpoint.ipv6 { field("\"ipv6\":"); JSONText.appendString(ipv6, to: &out) }
        if let port = endpoint.port { field("\"port\":"); out.append(contentsOf: String(port).utf8) }
        if first { out.append(UInt8(ascii: "{")) }
        out.append(UInt8(ascii: "}"))
    }

    /// A `ListOfSpans` body, as the bytes a POST sends (not a String copied into bytes again).
    public static func listJSON(_ spans: [ZipkinSpan]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "[")]
        out.reserveCapacity(spans.count * 768)
        for (index, span) in spans.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            span.appendJSON(to: &out)
        }
        out.append(UInt8(ascii: "]"))
        return out
    }
}
