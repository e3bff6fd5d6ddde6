/// The Telemetry API's `tagOverrides` as one reporter's metrics get them: labels removed, changed
/// or added. A value is the CEL expression Istio's users write; Weft reads the forms istio.io
/// shows: a quoted string, `request.host`, `request.method`, `request.url_path`, `request.path`,
/// `request.scheme`, `request.protocol`, `request.headers['name']` and `response.code`. Anything
/// else is `unknown`, the value Istio's proxies give an attribute they cannot read.
public struct TagOverrides: Sendable, Hashable {
    /// One override: on `metric` (nil: every metric), `tag` set to `value`, or removed when nil.
    public struct Entry: Sendable, Hashable {
        public var metric: String?
        public var tag: String
        public var value: TagExpression?
        public init(metric: String?, tag: String, value: TagExpression?) {
            self.metric = metric
            self.tag = tag
            self.value = value
        }
    }

    public var entries: [Entry]
    /// The expressions read from each request, in the order their values ride with the series (`RequestSeries.custom`).
    public let perRequest: [TagExpression]

    public init(_ entries: [Entry]) {
        self.entries = entries
        var seen: [TagExpression] = []
        for entry in entries {
            if let value = entry.value, value.readsRequest, !seen.contains(value) { seen.append(value) }
        }
        perRequest = seen
    }

    /// `labels` of a series as `metric` shows them after the overrides.
    public func apply(to labels: [(String, String)], of series: RequestSeries, metric: String) -> [(String, String)] {
        var labels = labels
        for entry in entries where entry.metric == nil || entry.metric == metric {
            guard let value = entry.value else {
                labels.removeAll { $0.0 == entry.tag }
                continue
            }
            let text: String
            if case .literal(let literal) = value {
                text = literal
            } else if let index = perRequest.firstIndex(of: value), index < series.custom.count {
                text = series.custom[index]
            } else {
                text = WorkloadMetadata.unknownValue
            }
            if let index = labels.firstIndex(where: { $0.0 == entry.tag }) { labels[index].1 = text } else { labels.append((entry.tag, text)) }
        }
        return labels
    }
}

/// A tag override's value: what of the request (or its answer) it reads.
public enum TagExpression: Sendable, Hashable {
    case literal(String)
    case requestHost
    case requestMethod
    case requestPath
    case requestURLPath
    case requestScheme
    case requestProtocol
    case requestHeader(String)
    case responseCode
    case unknown(String)

    /// The request's side an expression reads (`RequestFacts`).
    public struct Request {
        public var host: String
        public var method: String
        /// With the query.
        public var path: String
        public var scheme: String
        /// `HTTP/1.1`, `HTTP/2`.
        public var protocolName: String
        public var header: (String) -> String?
        public init(host: String, method: String, path: String, scheme: String, protocolName: String, header: @escaping (String) -> String?) {
            self.host = host
            self.method = method
            self.path = path
            self.scheme = scheme
            self.protocolName = protocolName
            self.header = header
        }
    }

    public init(parsing text: String) {
        let expression = String(String(text.drop { $0 == " " }.reversed()).drop { $0 == " " }.reversed())
        if expression.count >= 2, let first = expression.first, first == "'" || first == "\"", expression.last == first {
            self = .literal(String(expression.dropFirst().dropLast()))
            return
        }
        switch expression {
        case "request.host": self = .requestHost
        case "request.method": self = .requestMethod
        case "request.path": self = .requestPath
        case "request.url_path": self = .requestURLPath
        case "request.scheme": self = .requestScheme
        case "request.protocol": self = .requestProtocol
        case "response.code": self = .responseCode
        default:
            for prefix in ["request.headers['", "request.headers[\""] where expression.hasPrefix(prefix) && (expression.hasSuffix("']") || expression.hasSuffix("\"]")) {
                self = .requestHeader(String(expression.dropFirst(prefix.count).dropLast(2)).lowercased())
                return
            }
            self = .unknown(expression)
        }
    }

    /// Whether its value comes from each request (a literal's does not).
    public var readsRequest: Bool {
        if case .literal = self { return false }
        return true
    }

    /// Its value for one request; `status` is the answer's code.
    public func value(_ request: Request, status: Int) -> String {
        switch self {
        case .literal(let text): return text
        case .requestHost: return request.host
        case .requestMethod: return request.method
        case .requestPath: return request.path
        case .requestURLPath: return String(request.path.prefix { $0 != "?" })
        case .requestScheme: return request.scheme
        case .requestProtocol: return request.protocolName
        case .requestHeader(let name): return request.header(name) ?? WorkloadMetadata.unknownValue
        case .responseCode: return String(status)
        case .unknown: return WorkloadMetadata.unknownValue
        }
    }
}
