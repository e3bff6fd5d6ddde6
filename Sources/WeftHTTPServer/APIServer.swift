import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import ServiceLifecycle

/// An HTTP/1.1 server that hands each whole request to an async handler. Used for the config
/// API and debug endpoints on 15014; bytes move in NIO's HTTP codec, decisions in the handler.
public struct APIServerService: Service {
    /// Settings of the API listener.
    public struct Configuration: Sendable {
        /// Address to bind; port 0 picks a free one (printed once bound).
        public var host: String = "127.0.0.1"
        public var port: Int = 15014
        /// Largest request body accepted, in bytes; larger ones get 413. Default 8 MiB.
        public var maximumBodySize: Int = 8 << 20
        /// Serve HTTPS with this context (listeners beyond loopback); nil is plaintext.
        public var tls: NIOSSLContext?
        public init(host: String = "127.0.0.1", port: Int = 15014) {
            self.host = host
            self.port = port
        }
    }

    let configuration: Configuration
    let handler: @Sendable (APIRequest) async -> APIResponse
    let onBound: @Sendable (SocketAddress) -> Void
    let logger: Logger

    public init(configuration: Configuration, logger: Logger, onBound: @escaping @Sendable (SocketAddress) -> Void = { _ in }, handler: @escaping @Sendable (APIRequest) async -> APIResponse) {
        self.configuration = configuration
        self.handler = handler
        self.onBound = onBound
        self.logger = logger
    }

    public func run() async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture { [tls = configuration.tls] in
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
                }
            }
        if let address = server.channel.localAddress { onBound(address) }
        // Idle keep-alive connections would keep the server waiting on shutdown: close them too.
        let open = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])
        try await withTaskCancellationOrGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { connections in
                    for try await connection in connections {
                        let channel = connection.channel
                        open.withLockedValue { $0[ObjectIdentifier(channel)] = channel }
                        group.addTask {
                            await serve(connection)
                            _ = open.withLockedValue { $0.removeValue(forKey: ObjectIdentifier(channel)) }
                        }
                    }
                }
            }
        } onCancelOrGracefulShutdown: {
            server.channel.close(promise: nil)
            for channel in open.withLockedValue({ Array($0.values) }) { channel.close(promise: nil) }
        }
    }

    private func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                var body: [UInt8] = []
                var tooLarge = false
                for try await part in inbound {
                    switch part {
                    case .head(let requestHead):
                        head = requestHead
                        body = []
                        tooLarge = false
                    case .body(let buffer):
                        if body.count + buffer.readableBytes > configuration.maximumBodySize { tooLarge = true } else { body += buffer.readableBytesView }
                    case .end:
                        guard let requestHead = head else { continue }
                        let response = tooLarge
                            ? APIResponse.text(.payloadTooLarge, "request body larger than \(configuration.maximumBodySize) bytes\n")
                            : await handler(APIRequest(method: requestHead.method, uri: requestHead.uri, headers: requestHead.headers, body: body))
                        var headers = HTTPHeaders()
                        headers.add(name: "content-type", value: response.contentType)
                        headers.add(name: "content-length", value: String(response.body.count))
                        for header in response.headers { headers.add(name: header.name, value: header.value) }
                        let keepAlive = requestHead.isKeepAlive
                        headers.add(name: "connection", value: keepAlive ? "keep-alive" : "close")
                        try await outbound.write(.head(HTTPResponseHead(version: requestHead.version, status: response.status, headers: headers)))
                        try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: response.body))))
                        try await outbound.write(.end(nil))
                        if !keepAlive { return }
                    }
                }
            }
        } catch {
            logger.debug("API connection ended", metadata: ["error": "\(error)"])
        }
    }
}
