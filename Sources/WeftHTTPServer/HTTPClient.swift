import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A small HTTP/1.1 client: one request per connection, a whole answer back, a deadline, and an
/// optional HTTP proxy (Bookinfo's calls go through `HTTP_PROXY`, the sidecar). The CLI and Bookinfo
/// use it instead of URLSession, whose FoundationNetworking would load libcurl and its TLS stack
/// (6 MiB resident) into every `weft` process, sidecars included.
public struct HTTPClient: Sendable {
    /// A whole response.
    public struct Response: Sendable {
        public var status: Int
        public var body: [UInt8]
    }

    /// No response: refused, reset, or past the timeout.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public let proxy: (host: String, port: Int)?
    /// HTTPS with this context (the control plane beyond loopback); nil is plaintext.
    public let tls: NIOSSLContext?
    /// A longer body fails the request (a key set or document should not fill memory).
    public let maxResponseBytes: Int
    /// Where connections run; a proxy passes its own loop so no further threads start in it.
    public let group: any EventLoopGroup

    public init(proxy: (host: String, port: Int)? = nil, tls: NIOSSLContext? = nil, maxResponseBytes: Int = .max,
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.proxy = proxy
        self.tls = tls
        self.maxResponseBytes = maxResponseBytes
        self.group = group
    }

    /// The proxy named by `HTTP_PROXY` / `http_proxy` in `environment`.
    public init(environment: [String: String]) {
        self.init(proxy: (environment["HTTP_PROXY"] ?? environment["http_proxy"]).flatMap(Self.hostPort))
    }

    /// `http://host:port/...` → (host, port); port 80 when none is given.
    public static func hostPort(_ url: String) -> (host: String, port: Int)? {
        var rest = Substring(url)
        if let scheme = rest.range(of: "://") { rest = rest[scheme.upperBound...] }
        rest = rest.prefix { $0 != "/" }
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]) else { return rest.isEmpty ? nil : (String(rest), 80) }
        return (String(rest[..<colon]), port)
    }

    /// Sends one request to `http://host:port/path` and waits for the whole answer, at most `timeout`.
    /// `address`: dial this address (already resolved and checked) while Host and SNI name `host`.
    public func send(_ method: HTTPMethod = .GET, host: String, port: Int, path: String, headers: [(String, String)] = [],
                     body: [UInt8] = [], timeout: Duration, address: String? = nil) async throws -> Response {
        try await withThrowingTaskGroup(of: Response.self) { group in
            group.addTask { try await exchange(method, host: host, port: port, path: path, headers: headers, body: body, address: address) }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw Failure(description: "no answer from \(host):\(port) within \(timeout)")
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { throw Failure(description: "no response") }
            return first
        }
    }

    private func exchange(_ method: HTTPMethod, host: String, port: Int, path: String, headers: [(String, String)], body: [UInt8],
                          address: String?) async throws -> Response {
        let target = proxy ?? (address ?? host, port)
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(3))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connect(host: target.host, port: target.port) { [tls] channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        // The certificate names the address (IP SAN) or the host name; SNI only for a name.
                        let name = host.first?.isNumber == true || host.contains(":") ? nil : host
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: name))
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                }
            }
        // A timed-out request closes its connection, so the exchange ends at once.
        return try await withTaskCancellationHandler {
            try await channel.executeThenClose { [maxResponseBytes] inbound, outbound in
                let authority = port == 80 ? host : "\(host):\(port)"
                var head = HTTPRequestHead(version: .http1_1, method: method, uri: proxy == nil ? path : "http://\(authority)\(path)")
                head.headers.add(name: "host", value: authority)
                for (name, value) in headers { head.headers.add(name: name, value: value) }
                if !body.isEmpty || method == .POST || method == .PUT { head.headers.add(name: "content-length", value: String(body.count)) }
                head.headers.add(name: "connection", value: "close")
                try await outbound.write(.head(head))
                if !body.isEmpty { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
                try await outbound.write(.end(nil))
                var status = 0
                var received: [UInt8] = []
                for try await part in inbound {
                    switch part {
                    case .head(let responseHead): status = Int(responseHead.status.code)
                    case .body(let buffer):
                        guard received.count + buffer.readableBytes <= maxResponseBytes else {
                            throw Failure(description: "response from \(host):\(port) is larger than \(maxResponseBytes) bytes")
                        }
                        received += buffer.readableBytesView
                    case .end: return Response(status: status, body: received)
                    }
                }
                throw Failure(description: "connection closed before the response ended")
            }
        } onCancel: {
            channel.channel.close(promise: nil)
        }
    }
}
