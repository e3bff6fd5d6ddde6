import NIOCore
import NIOHTTP1
import NIOPosix

/// Bookinfo's outgoing HTTP: a GET with a client timeout, sent through `HTTP_PROXY` (the sidecar's
/// outbound listener) when `weft run` set one, as the original apps' HTTP libraries do.
struct MeshHTTPClient: Sendable {
    /// A whole response.
    struct Response: Sendable {
        var status: Int
        var body: [UInt8]
    }

    /// A request that got no response: refused, reset, or past its timeout.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let proxy: (host: String, port: Int)?

    init(environment: [String: String]) {
        proxy = (environment["HTTP_PROXY"] ?? environment["http_proxy"]).flatMap(Self.parseProxy)
    }

    static func parseProxy(_ url: String) -> (host: String, port: Int)? {
        var rest = Substring(url)
        if let scheme = rest.range(of: "://") { rest = rest[scheme.upperBound...] }
        rest = rest.prefix { $0 != "/" }
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]) else { return rest.isEmpty ? nil : (String(rest), 80) }
        return (String(rest[..<colon]), port)
    }

    /// GETs `http://host:port/path`, failing after `timeout` as a client-side timeout does.
    func get(host: String, port: Int, path: String, headers: [(String, String)], timeout: Duration) async throws -> Response {
        try await withThrowingTaskGroup(of: Response.self) { group in
            group.addTask { try await exchange(host: host, port: port, path: path, headers: headers) }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw Failure(description: "timed out after \(timeout)")
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { throw Failure(description: "no response") }
            return first
        }
    }

    private func exchange(host: String, port: Int, path: String, headers: [(String, String)]) async throws -> Response {
        let target = proxy ?? (host, port)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(3))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connect(host: target.host, port: target.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                }
            }
        // A timed-out request closes its connection, so the exchange ends at once.
        return try await withTaskCancellationHandler {
            try await channel.executeThenClose { inbound, outbound in
                let authority = port == 80 ? host : "\(host):\(port)"
                var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: proxy == nil ? path : "http://\(authority)\(path)")
                head.headers.add(name: "host", value: authority)
                for (name, value) in headers { head.headers.add(name: name, value: value) }
                head.headers.add(name: "connection", value: "close")
                try await outbound.write(.head(head))
                try await outbound.write(.end(nil))
                var status = 0
                var body: [UInt8] = []
                for try await part in inbound {
                    switch part {
                    case .head(let responseHead): status = Int(responseHead.status.code)
                    case .body(let buffer): body += buffer.readableBytesView
                    case .end: return Response(status: status, body: body)
                    }
                }
                throw Failure(description: "connection closed before the response ended")
            }
        } onCancel: {
            channel.channel.close(promise: nil)
        }
    }
}
