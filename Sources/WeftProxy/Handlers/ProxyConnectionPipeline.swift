import NIOCore
import NIOHTTP1
import NIOPosix

/// The handlers of every proxy HTTP/1.1 connection, in order, for each kind of listener.
enum ProxyConnectionPipeline {
    static func configure(_ channel: any Channel, listener: ListenerContext) throws {
        let timeout = RequestHeadersTimeout(timeout: listener.requestHeadersTimeout, stats: listener.stats)
        let operations = channel.pipeline.syncOperations
        try operations.addHandler(timeout)
        // No HTTPServerPipelineHandler: ProxyServerHandler holds pipelined requests itself (PipelinedRequests).
        try operations.addHandler(HTTPResponseEncoder())
        try operations.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
        try operations.addHandler(NIOHTTPResponseHeadersValidator())
        try operations.addHandler(ProxyServerHandler(listener: listener, headersTimeout: timeout))
    }

    /// A bound proxy listener (outbound, inbound or gateway port) whose connections get these handlers.
    static func bind(host: String, port: Int, eventLoop: any EventLoop, listener: ListenerContext) async throws -> any Channel {
        try await ServerBootstrap(group: eventLoop)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try ProxyConnectionPipeline.configure(channel, listener: listener)
                }
            }
            .bind(host: host, port: port)
            .get()
    }
}
