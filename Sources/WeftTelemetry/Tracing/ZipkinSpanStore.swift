import Foundation

/// The built-in collector's memory: spans as any Zipkin v2 client posts them, kept up to a bound
/// (the oldest traces go first), and answered by Zipkin's query API (services, span names, remote
/// services, traces by criteria, one trace, several, and the dependency links between services).
public actor ZipkinSpanStore {
    /// A span as Zipkin's JSON has it (`definitions/Span`), decoded from any client's body.
    public struct Span: Codable, Sendable, Hashable {
        /// `definitions/Endpoint`.
        public struct Endpoint: Codable, Sendable, Hashable {
            public var serviceName: String?
            public var ipv4: String?
            public var ipv6: String?
            public var port: Int?
        }
        /// `definitions/Annotation`.
        public struct Annotation: Codable, Sendable, Hashable {
            public var timestamp: Int64
            public var value: String
        }
        public var traceId: String
        public var id: String
        public var parentId: String?
        public var name: String?
        public var kind: String?
        public var timestamp: Int64?
        public var duration: Int64?
        public var debug: Bool?
        public var shared: Bool?
        public var localEndpoint: Endpoint?
        public var remoteEndpoint: Endpoint?
        public var annotations: [Annotation]?
        public var tags: [String: String]?
    }

    /// Why a posted body was refused (400).
    public struct Refusal: Error, CustomStringConvertible { public var description: String }

    /// The criteria of `GET /api/v2/traces`.
    public struct TraceQuery: Sendable {
        public var serviceName: String?
        public var remoteServiceName: String?
        public var spanName: String?
        /// `key=value and word`: tags equal, or a tag key / annotation value present.
        public var annotationQuery: String?
        public var minDuration: Int64?
        public var maxDuration: Int64?
        /// Epoch milliseconds; traces whose spans fall in (endTs - lookback, endTs].
        public var endTs: Int64
        public var lookback: Int64
        public var limit: Int
        public init(endTs: Int64, lookback: Int64, limit: Int = 10) {
            self.endTs = endTs
            self.lookback = lookback
            self.limit = limit
        }
    }

    /// A link of `GET /api/v2/dependencies`.
    public struct DependencyLink: Codable, Sendable, Hashable {
        public var parent: String
        public var child: String
        public var callCount: Int
        public var errorCount: Int?
    }

    public let maximumSpans: Int
    private var traces: [String: [Span]] = [:]
    /// Trace ids in the order they arrived, for eviction.
    private var order: [String] = []
    private var spanCount = 0
    /// Spans accepted and spans evicted, for the collector's metrics.
    public private(set) var accepted = 0
    public private(set) var evicted = 0

    public init(maximumSpans: Int = 20_000) {
        self.maximumSpans = maximumSpans
    }

    /// Decodes a `ListOfSpans` body and keeps each span; the whole body is refused when one span
    /// is not a Zipkin span (ids not hex of the right length, no trace id).
    public static func decode(_ body: [UInt8]) throws(Refusal) -> [Span] {
        // What sidecars post is read by the collector's own reader (which reads no null); anything
        // else is decoded by JSONDecoder, which would read a null as absent: no field may be null.
        let spans: [Span]
        if let read = ZipkinSpanReader.read(body) {
            spans = read
        } else {
            do {
                spans = try JSONDecoder().decode([Span].self, from: Data(body))
            } catch {
                throw Refusal(description: "not a Zipkin v2 ListOfSpans (JSON array of spans): \(error)")
            }
            if containsNull(body) { throw Refusal(description: "a Zipkin span has no null values") }
        }
        for (index, span) in spans.enumerated() {
            guard isHex(span.traceId, lengths: 16...32) else {
                throw Refusal(description: "span \(index): traceId \"\(span.traceId)\" is not 16 or 32 lower-case hex characters")
            }
            guard isHex(span.id, lengths: 16...16) else { throw Refusal(description: "span \(index): id \"\(span.id)\" is not 16 lower-case hex characters") }
            if let parent = span.parentId, !isHex(parent, lengths: 16...16) { throw Refusal(description: "span \(index): parentId \"\(parent)\" is not 16 lower-case hex characters") }
            for endpoint in [span.localEndpoint, span.remoteEndpoint].compactMap({ $0 }) {
                if let ip = endpoint.ipv4, !isAddress(ip, family: AF_INET) { throw Refusal(description: "span \(index): ipv4 \"\(ip)\" is not an IPv4 address") }
                if let ip = endpoint.ipv6, !isAddress(ip, family: AF_INET6) { throw Refusal(description: "span \(index): ipv6 \"\(ip)\" is not an IPv6 address") }
            }
            if let duration = span.duration, duration < 1 { throw Refusal(description: "span \(index): duration is at least 1 microsecond") }
            if let annotations = span.annotations, Set(annotations).count != annotations.count {
                throw Refusal(description: "span \(index): annotations repeat (Zipkin's annotations are unique)")
            }
            if let kind = span.kind, !["CLIENT", "SERVER", "PRODUCER", "CONSUMER"].contains(kind) { throw Refusal(description: "span \(index): kind \"\(kind)\" is not a Zipkin kind") }
        }
        return spans
    }

    static func isAddress(_ text: String, family: Int32) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 16)
        return inet_pton(family, text, &buffer) == 1
    }

    /// Whether a JSON text (one the decoder read) has a `null` value: a `null` outside its strings.
    /// Read byte by byte: the text parsed again into Foundation objects and each value cast to find
    /// one cost ~640k instructions a span, two thirds of what the collector spent on a span.
    static func containsNull(_ json: [UInt8]) -> Bool {
        json.withUnsafeBufferPointer { containsNull($0) }
    }

    private static func containsNull(_ json: UnsafeBufferPointer<UInt8>) -> Bool {
        var inString = false, escaped = false
        var index = 0
        while index < json.count {
            let byte = json[index]
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
            } else if byte == UInt8(ascii: "n") {
                // Outside a string, in JSON the decoder accepted, an `n` begins `null` and nothing else.
                return true
            }
            index += 1
        }
        return false
    }

    /// Lower-case hex of one of `lengths` characters (Zipkin's ids).
    public static func isHex(_ text: String, lengths: some RangeExpression<Int>) -> Bool {
        lengths.contains(text.utf8.count) && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// Keeps `spans`, evicting the oldest traces past the bound. Zipkin lower-cases service names.
    public func add(_ spans: [Span]) {
        for var span in spans {
            if let name = span.localEndpoint?.serviceName { span.localEndpoint?.serviceName = name.lowercased() }
            if let name = span.remoteEndpoint?.serviceName { span.remoteEndpoint?.serviceName = name.lowercased() }
            span.traceId = String(repeating: "0", count: span.traceId.count > 16 ? 32 - span.traceId.count : 0) + span.traceId
            if traces[span.traceId] == nil { order.append(span.traceId) }
            traces[span.traceId, default: []].append(span)
            spanCount += 1
            accepted += 1
        }
        var dropped = 0
        while spanCount > maximumSpans, dropped < order.count {
            let oldest = order[dropped]
            dropped += 1
            let removed = traces.removeValue(forKey: oldest)?.count ?? 0
            spanCount -= removed
            evicted += removed
        }
        if dropped > 0 { order.removeFirst(dropped) }
    }

    public func services() -> [String] {
        Set(traces.values.joined().compactMap { $0.localEndpoint?.serviceName }.filter { !$0.isEmpty }).sorted()
    }

    public func spanNames(service: String) -> [String] {
        let service = service.lowercased()
        return Set(traces.values.joined().filter { $0.localEndpoint?.serviceName == service }.compactMap { $0.name?.lowercased() }).sorted()
    }

    public func remoteServices(service: String) -> [String] {
        let service = service.lowercased()
        return Set(traces.values.joined().filter { $0.localEndpoint?.serviceName == service }.compactMap { $0.remoteEndpoint?.serviceName }).sorted()
    }

    /// One trace's spans (nil: unknown). A 16-digit id also finds the 128-bit trace ending in it.
    public func trace(_ id: String) -> [Span]? {
        let id = id.lowercased()
        if let spans = traces[id] ?? traces[String(repeating: "0", count: 16) + id] { return spans }
        if id.count == 16, let key = traces.keys.first(where: { $0.hasSuffix(id) }) { return traces[key] }
        return nil
    }

    public func traces(_ query: TraceQuery) -> [[Span]] {
        let (start, end) = Self.window(endTs: query.endTs, lookback: query.lookback)
        var found: [(Int64, [Span])] = []
        for (_, spans) in traces {
            let first = spans.compactMap(\.timestamp).min() ?? 0
            guard first <= end, first >= start else { continue }
            guard Self.matches(spans, query) else { continue }
            found.append((first, spans))
        }
        return found.sorted { $0.0 > $1.0 }.prefix(max(0, query.limit)).map { $0.1 }
    }

    /// (endTs - lookback, endTs] in microseconds, saturating: a query's numbers are anyone's.
    static func window(endTs: Int64, lookback: Int64) -> (Int64, Int64) {
        func micros(_ milliseconds: Int64) -> Int64 {
            let (value, overflow) = milliseconds.multipliedReportingOverflow(by: 1000)
            return overflow ? (milliseconds < 0 ? .min : .max) : value
        }
        let (startMs, overflow) = endTs.subtractingReportingOverflow(lookback)
        return (overflow ? (lookback > 0 ? .min : .max) : micros(startMs), micros(endTs))
    }

    static func matches(_ spans: [Span], _ query: TraceQuery) -> Bool {
        spans.contains { span in
            if let service = query.serviceName?.lowercased(), !service.isEmpty, span.localEndpoint?.serviceName != service { return false }
            if let remote = query.remoteServiceName?.lowercased(), !remote.isEmpty, span.remoteEndpoint?.serviceName != remote { return false }
            if let name = query.spanName?.lowercased(), !name.isEmpty, name != "all", span.name?.lowercased() != name { return false }
            if let minimum = query.minDuration, (span.duration ?? 0) < minimum { return false }
            if let maximum = query.maxDuration, (span.duration ?? 0) > maximum { return false }
            if let annotations = query.annotationQuery, !annotations.isEmpty {
                for term in annotations.components(separatedBy: " and ") where !term.trimmingCharacters(in: .whitespaces).isEmpty {
                    let term = term.trimmingCharacters(in: .whitespaces)
                    if let equals = term.firstIndex(of: "=") {
                        guard span.tags?[String(term[..<equals])] == String(term[term.index(after: equals)...]) else { return false }
                    } else {
                        guard span.tags?[term] != nil || (span.annotations ?? []).contains(where: { $0.value == term }) else { return false }
                    }
                }
            }
            return true
        }
    }

    /// Calls between services: a span whose parent is in another service is one call from that
    /// service to this one (a CLIENT span with a remote service counts as a call to it when the
    /// callee reported nothing). Errors: spans tagged `error`.
    public func dependencies(endTs: Int64, lookback: Int64) -> [DependencyLink] {
        let (start, end) = Self.window(endTs: endTs, lookback: lookback)
        var links: [String: (calls: Int, errors: Int)] = [:]
        func count(_ parent: String, _ child: String, error: Bool) {
            let key = parent + "\u{0}" + child
            links[key, default: (0, 0)].calls += 1
            if error { links[key, default: (0, 0)].errors += 1 }
        }
        for spans in traces.values {
            guard let first = spans.compactMap(\.timestamp).min(), first <= end, first >= start else { continue }
            let byID = Dictionary(spans.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            var calledBack = Set<String>()
            for span in spans {
                guard let child = span.localEndpoint?.serviceName, let parentID = span.parentId, let parent = byID[parentID],
                      let parentService = parent.localEndpoint?.serviceName, parentService != child else { continue }
                count(parentService, child, error: span.tags?["error"] != nil)
                calledBack.insert(parentID)
            }
            for span in spans where span.kind == "CLIENT" && !calledBack.contains(span.id) {
                guard let local = span.localEndpoint?.serviceName, let remote = span.remoteEndpoint?.serviceName, local != remote else { continue }
                count(local, remote, error: span.tags?["error"] != nil)
            }
        }
        return links.map { key, value in
            let parts = key.split(separator: "\u{0}", maxSplits: 1).map(String.init)
            return DependencyLink(parent: parts[0], child: parts.count > 1 ? parts[1] : "", callCount: value.calls, errorCount: value.errors)
        }.sorted { ($0.parent, $0.child) < ($1.parent, $1.child) }
    }

    /// Spans kept now.
    public var count: Int { spanCount }
}
