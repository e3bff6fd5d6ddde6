import Foundation
import NIOHTTP1
import WeftHTTPServer
import WeftTelemetry

/// The built-in trace collector, on the control plane's API port: Zipkin's v2 API
/// (zipkin2-api.yaml) over a bounded in-memory store, so a mesh has traces with nothing else
/// installed and any tool that reads Zipkin's API reads Weft's.
///
/// - `POST /api/v2/spans` — a `ListOfSpans` (JSON); 202, or 400 naming the span that is not one.
/// - `GET /api/v2/services`, `/spans?serviceName=`, `/remoteServices?serviceName=`
/// - `GET /api/v2/traces?serviceName=&remoteServiceName=&spanName=&annotationQuery=&minDuration=&maxDuration=&endTs=&lookback=&limit=`
/// - `GET /api/v2/trace/{traceId}` (404 when unknown), `/traceMany?traceIds=a,b`
/// - `GET /api/v2/dependencies?endTs=&lookback=`, `/autocompleteKeys`, `/autocompleteValues?key=`
public struct ZipkinCollectorAPI: Sendable {
    public let store: ZipkinSpanStore
    /// Zipkin's default QUERY_LOOKBACK: a day, in milliseconds.
    static let defaultLookback: Int64 = 86_400_000

    public init(store: ZipkinSpanStore) {
        self.store = store
    }

    /// Whether `path` is the collector's.
    public static func serves(_ path: String) -> Bool { path.hasPrefix("/api/v2/") }

    public func handle(_ request: APIRequest) async -> APIResponse {
        let path = String(request.path.dropFirst("/api/v2".count))
        switch (request.method, path) {
        case (.POST, "/spans"):
            do {
                let spans = try ZipkinSpanStore.decode(request.body)
                await store.add(spans)
                return APIResponse(status: .accepted, contentType: "application/json", body: [])
            } catch {
                return Self.error(.badRequest, error.description)
            }
        case (.GET, "/services"):
            return Self.json(await store.services())
        case (.GET, "/spans"):
            guard let service = request.query["serviceName"] else { return Self.error(.badRequest, "serviceName is required") }
            return Self.json(await store.spanNames(service: service))
        case (.GET, "/remoteServices"):
            guard let service = request.query["serviceName"] else { return Self.error(.badRequest, "serviceName is required") }
            return Self.json(await store.remoteServices(service: service))
        case (.GET, "/traces"):
            return await traces(request)
        case (.GET, "/traceMany"):
            guard let list = request.query["traceIds"], list.range(of: "([a-f0-9]{16,32},)+([a-f0-9]{16,32})", options: .regularExpression) != nil else {
                return Self.error(.badRequest, "traceIds must be two or more trace ids (16 to 32 hex characters) separated by commas")
            }
            // Ids that are not trace ids find nothing, as unknown ids find nothing.
            var found: [[ZipkinSpanStore.Span]] = []
            for id in (request.query["traceIds"] ?? "").split(separator: ",").map(String.init) where Self.isTraceID(id) {
                if let trace = await store.trace(id) { found.append(trace) }
            }
            return Self.json(found)
        case (.GET, "/dependencies"):
            guard let endText = request.query["endTs"] else { return Self.error(.badRequest, "endTs (epoch milliseconds) is required") }
            guard let end = Int64(endText), request.query["lookback"].map({ Int64($0) != nil }) ?? true else {
                return Self.error(.badRequest, "endTs and lookback are 64-bit integers (milliseconds)")
            }
            let endTs = end > 0 ? end : Int64(Date().timeIntervalSince1970 * 1000)
            let lookback = request.query["lookback"].flatMap { Int64($0) }.flatMap { $0 >= 0 ? $0 : nil } ?? endTs
            return Self.json(await store.dependencies(endTs: endTs, lookback: lookback))
        case (.GET, "/autocompleteValues") where request.query["key"] == nil:
            return Self.error(.badRequest, "key is required")
        case (.GET, "/autocompleteKeys"), (.GET, "/autocompleteValues"):
            // No autocomplete keys are configured (Zipkin's AUTOCOMPLETE_KEYS is empty by default).
            return Self.json([String]())
        default:
            if request.method == .GET, path.hasPrefix("/trace/") {
                let id = String(path.dropFirst("/trace/".count)).lowercased()
                guard Self.isTraceID(id), let trace = await store.trace(id) else { return Self.error(.notFound, "trace \(id) not found") }
                return Self.json(trace)
            }
            if Self.paths.contains(path) || path.hasPrefix("/trace/") {
                var response = Self.error(.methodNotAllowed, "\(request.method) is not allowed on /api/v2\(path)")
                response.headers.append((name: "allow", value: path == "/spans" ? "GET, POST" : "GET"))
                return response
            }
            return Self.error(.notFound, "no such endpoint: \(request.method) /api/v2\(path)")
        }
    }

    /// The query API's paths (zipkin2-api.yaml).
    static let paths: Set<String> = ["/services", "/spans", "/remoteServices", "/traces", "/traceMany", "/dependencies", "/autocompleteKeys", "/autocompleteValues"]

    private func traces(_ request: APIRequest) async -> APIResponse {
        for name in ["endTs", "lookback", "minDuration", "maxDuration"] where request.query[name].map({ Int64($0) == nil }) == true {
            return Self.error(.badRequest, "\(name) is a 64-bit integer")
        }
        // `limit` is any integer: past 64 bits it is as large (or as small) as can be.
        var limitText = request.query["limit"]
        if let text = limitText, Int64(text) == nil {
            guard text.range(of: "^[-+]?[0-9]+$", options: .regularExpression) != nil else { return Self.error(.badRequest, "limit is an integer") }
            limitText = text.hasPrefix("-") ? nil : "10000"
        }
        /// A number that is not a non-negative integer is left at its default.
        func number(_ name: String) -> Int64? { request.query[name].flatMap { Int64($0) }.flatMap { $0 >= 0 ? $0 : nil } }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let limit = limitText.flatMap { Int64($0) }.flatMap { $0 > 0 ? $0 : nil } ?? 10
        var query = ZipkinSpanStore.TraceQuery(endTs: number("endTs").flatMap { $0 > 0 ? $0 : nil } ?? now, lookback: number("lookback") ?? Self.defaultLookback,
                                               limit: Int(min(limit, 10_000)))
        query.serviceName = request.query["serviceName"]
        query.remoteServiceName = request.query["remoteServiceName"]
        query.spanName = request.query["spanName"]
        query.annotationQuery = request.query["annotationQuery"]
        query.minDuration = number("minDuration")
        query.maxDuration = number("maxDuration")
        return Self.json(await store.traces(query))
    }

    static func isTraceID(_ text: String) -> Bool { ZipkinSpanStore.isHex(text, lengths: 16...32) }

    static func json(_ value: some Encodable) -> APIResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("[]".utf8)
        return APIResponse(status: .ok, contentType: "application/json", body: Array(data))
    }

    static func error(_ status: HTTPResponseStatus, _ message: String) -> APIResponse {
        json(["error": message]).with(status: status)
    }
}

extension APIResponse {
    func with(status: HTTPResponseStatus) -> APIResponse {
        var copy = self
        copy.status = status
        return copy
    }
}
