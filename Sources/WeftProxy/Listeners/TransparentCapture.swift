import NIOCore
import WeftModel

/// Transparent mode's outbound capture port (15001): every TCP connection the app opens arrives
/// here, redirected by iptables, and goes where its original destination says: a service's HTTP
/// port is routed as the outbound listener routes (the Host header names the service; the port
/// is the original one), a TCP port is spliced to its cluster, an undeclared port is sniffed, and
/// what no service claims passes through (ALLOW_ANY) or is closed (REGISTRY_ONLY). A connection
/// made to the port itself (an app with `HTTP_PROXY`) is the HTTP proxy it is in host mode.
struct OutboundCapture: Sendable {
    let listener: ListenerContext

    func serve(_ channel: any Channel) throws {
        guard let destination = OriginalDestination.of(channel) else {
            return try ProxyConnectionPipeline.serve(channel, listener: listener)
        }
        // The listener as this connection's requests see it (made only for the paths that route requests).
        var routed: ListenerContext {
            var routed = listener
            routed.defaultPort = destination.port
            routed.originalDestination = destination
            return routed
        }
        switch listener.configuration.active.capture.outbound(destination) {
        case .http:
            try ProxyConnectionPipeline.configure(channel, listener: routed)
        case .tcp(let cluster):
            try OutboundTCPProxy.install(on: channel, listener: listener, destinations: [WeightedCluster(cluster: cluster, weight: 1)])
        case .sniff(_, let cluster):
            try channel.pipeline.syncOperations.addHandler(HTTPVersionSniffer(listener: routed, peer: nil, opaque: .clusters([WeightedCluster(cluster: cluster, weight: 1)])))
        case .passthrough:
            listener.stats.increment(cluster: "PassthroughCluster", "upstream_cx_total")
            try OutboundTCPProxy.install(on: channel, listener: listener, passthrough: destination)
        case .blackhole:
            listener.stats.increment(cluster: "BlackHoleCluster", "upstream_cx_total")
            channel.close(promise: nil)
        }
    }
}

/// Transparent mode's inbound capture port (15006): a connection to any of the pod's ports
/// arrives here and is served as that port's inbound listener serves it (PeerAuthentication,
/// authorization, then the app); a port no container port declares gets the workload's own
/// policies (the `virtualInbound` listener), so STRICT cannot be walked around by port.
struct InboundCapture: Sendable {
    let declared: [Int: ListenerContext]
    let undeclared: @Sendable (Int) -> ListenerContext

    func serve(_ channel: any Channel) throws {
        // A connection to 15006 itself is one more undeclared port: the workload's policy answers it
        // (under STRICT plaintext is reset, as on every other port).
        let port = OriginalDestination.of(channel)?.port ?? channel.localAddress?.port ?? 0
        try ProxyConnectionPipeline.serve(channel, listener: declared[port] ?? undeclared(port))
    }
}
