import NIOCore

/// HTTP/1.1 connections to external authorizers kept alive between checks, as Envoy keeps its
/// ext_authz cluster's connections: a check takes one (the newest that is still open) or opens
/// another, and gives it back once answered with keep-alive. A few a target; one that closes
/// leaves its list. Confined to the pool's event loop (where the connections are made).
final class IdleCheckConnections {
    /// The most kept a target (more stay open only while their checks are in flight).
    static let maximumPerTarget = 8
    private var idle: [UpstreamPoolKey: [any Channel]] = [:]

    /// An open idle connection to `target`, taken out of the list.
    func take(_ target: UpstreamPoolKey) -> (any Channel)? {
        while let channel = idle[target]?.popLast() {
            if channel.isActive { return channel }
        }
        return nil
    }

    /// A new connection to `target`: once it closes it leaves the list (called once, on the pool's loop).
    func adopt(_ channel: any Channel, target: UpstreamPoolKey) {
        channel.closeFuture.assumeIsolated().whenComplete { [weak self] _ in
            guard let self else { return }
            self.idle[target]?.removeAll { $0 === channel }
            if self.idle[target]?.isEmpty == true { self.idle.removeValue(forKey: target) }
        }
    }

    /// Keeps `channel` for the next check to `target`, or closes it when enough are kept.
    func release(_ channel: any Channel, target: UpstreamPoolKey) {
        guard channel.isActive else { return }
        guard idle[target, default: []].count < Self.maximumPerTarget else { return channel.close(promise: nil) }
        idle[target, default: []].append(channel)
    }
}
