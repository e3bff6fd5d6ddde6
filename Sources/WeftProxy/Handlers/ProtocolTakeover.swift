import NIOCore
import NIOHTTP1

/// After a `CONNECT` or a `101 Switching Protocols` a connection stops speaking HTTP: its HTTP
/// handlers leave and one side of a splice takes their place. The splice goes in right behind the
/// decoder before the decoder leaves, so bytes it had read past the last HTTP message (its
/// leftovers, forwarded on removal) reach the splice and are not lost.
enum ProtocolTakeover {
    /// The downstream connection of a proxy listener (`ProxyConnectionPipeline.configureHTTP1`).
    static func downstream(_ channel: any Channel, glue: SpliceHandler) throws {
        try downstream(channel, replacingWith: [glue])
    }

    /// The downstream connection's HTTP handlers give way to `handlers` (which read bytes).
    static func downstream(_ channel: any Channel, replacingWith handlers: [any ChannelHandler]) throws {
        let operations = channel.pipeline.syncOperations
        let decoder = try operations.handler(type: HTTP1Reader.self)
        decoder.detachEvents()
        try operations.addHandlers(handlers, position: .after(decoder))
        operations.removeHandler(decoder, promise: nil)
    }

    /// A downstream HTTP/2 stream whose extended CONNECT switched: DATA-frame bytes and the splice
    /// go in ahead of its HTTP handlers (the stream's codec stays; it sees nothing more), then
    /// what the client sent meanwhile is let through.
    static func stream(_ channel: any Channel, glue: SpliceHandler, after extendedConnect: ExtendedConnectCodec) throws {
        let operations = channel.pipeline.syncOperations
        remove(ProxyServerHandler.self, from: operations)
        try operations.addHandlers([HTTP2StreamBytes(), glue], position: .after(extendedConnect))
        extendedConnect.switched()
    }

    /// An upstream connection of the pool (the response reader, with its `UpstreamHandler` behind it).
    static func upstream(_ channel: any Channel, glue: SpliceHandler) throws {
        let operations = channel.pipeline.syncOperations
        let decoder = try operations.handler(type: HTTP1Reader.self)
        decoder.detachEvents()
        try operations.addHandler(glue, position: .after(decoder))
        operations.removeHandler(decoder, promise: nil)
    }

    /// An upstream HTTP/2 stream whose extended CONNECT was taken: DATA-frame bytes and the splice go
    /// in right behind `extendedConnect` (the stream's codec stays; it sees nothing more), then
    /// what the server sent meanwhile is let through.
    static func upstreamStream(_ channel: any Channel, glue: SpliceHandler, after extendedConnect: UpstreamExtendedConnect) throws {
        let operations = channel.pipeline.syncOperations
        remove(UpstreamHandler.self, from: operations)
        try operations.addHandlers([HTTP2StreamBytes(), glue], position: .after(extendedConnect))
        extendedConnect.switched()
    }

    /// Both connections read again, now for the splice (reads may have been paused for backpressure).
    static func resumeReading(_ channels: [any Channel]) {
        for channel in channels {
            channel.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
            channel.read()
        }
    }

    private static func remove<Handler: RemovableChannelHandler>(_ type: Handler.Type, from operations: ChannelPipeline.SynchronousOperations) {
        if let handler = try? operations.handler(type: type) { operations.removeHandler(handler, promise: nil) }
    }
}
