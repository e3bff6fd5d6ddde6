import NIOCore
import NIOHTTP1

extension ProxyServerHandler {
    /// The upstream's 101 to a WebSocket handshake ended and its head went downstream: from here
    /// both connections carry bytes, spliced both ways with backpressure, until either closes.
    /// The exchange is over for telemetry (status 101) and timeouts; the upstream connection
    /// leaves the pool's reuse (it still counts against the cluster's connections until it closes).
    func switchProtocols(_ exchange: Exchange, context: ChannelHandlerContext) {
        cancelTimeouts()
        finishTelemetry()
        if exchange.upstream.countsInFlight { listener.balancer.finished(exchange.upstream.host, exchange.upstream.port) }
        self.exchange = nil
        guard let upstream = machine.upgraded(), let upstreamChannel = upstream.channel else {
            context.closeFlushed()
            return
        }
        writeGathered(context: context)
        context.flush()
        let downstream = context.channel
        let (downstreamGlue, upstreamGlue) = SpliceHandler.pair()
        do {
            if let extendedConnect {
                try ProtocolTakeover.stream(downstream, glue: downstreamGlue, after: extendedConnect)
            } else {
                try ProtocolTakeover.downstream(downstream, glue: downstreamGlue)
            }
            if let extendedConnect = try? upstreamChannel.pipeline.syncOperations.handler(type: UpstreamExtendedConnect.self) {
                try ProtocolTakeover.upstreamStream(upstreamChannel, glue: upstreamGlue, after: extendedConnect)
            } else {
                try ProtocolTakeover.upstream(upstreamChannel, glue: upstreamGlue)
            }
        } catch {
            downstream.close(promise: nil)
            upstreamChannel.close(promise: nil)
            return
        }
        listener.stats.increment("downstream_cx_upgrades_total")
        listener.stats.increment(cluster: exchange.upstream.cluster, "upstream_cx_upgrades_total")
        ProtocolTakeover.resumeReading([downstream, upstreamChannel])
    }
}
