#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// Where a connection iptables redirected to a capture port was going: the kernel keeps the
/// address it rewrote (`SO_ORIGINAL_DST`, Linux's netfilter). Read on the connection's loop.
enum OriginalDestination {
    /// `SO_ORIGINAL_DST` from `<linux/netfilter_ipv4.h>` (not in Glibc's module).
    static let option: CInt = 80

    /// The address and port, or nil for a connection that came to the port itself (not redirected) or a socket that cannot say.
    static func of(_ channel: any Channel) -> CaptureTable.Destination? {
        guard let provider = channel as? any SocketOptionProvider else { return nil }
        let future: EventLoopFuture<sockaddr_in> = provider.unsafeGetSocketOption(level: .init(rawValue: CInt(IPPROTO_IP)), name: .init(rawValue: option))
        // On the channel's own loop the option is read at once: the future is complete, and its callback runs here.
        guard channel.eventLoop.inEventLoop else { return nil }
        var read: sockaddr_in?
        future.assumeIsolated().whenSuccess { read = $0 }
        guard let address = read else { return nil }
        let original = SocketAddress(address)
        guard let text = original.ipAddress, let port = original.port else { return nil }
        let destination = CaptureTable.Destination(address: text, port: port)
        // A connection made to the capture port itself has itself as its "original" destination.
        if let local = channel.localAddress, local.ipAddress == destination.address, local.port == destination.port { return nil }
        return destination
    }
}
