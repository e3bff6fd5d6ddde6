import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The proxy's own resolver for upstream names (a DNS ServiceEntry's host or endpoints, a
/// passthrough authority): answers kept for their TTL and asked again after it, and a failed
/// lookup answered with the last good addresses (Envoy's DNS clusters keep their hosts when a
/// refresh fails). `WEFT_DNS_SERVER=HOST:PORT` points it at a DNS server, as a pod's
/// `resolv.conf` points at the cluster's (A queries over UDP); without it the system's resolver
/// (getaddrinfo, off the event loop) answers, kept for Envoy's default refresh of 5 s.
public final class ProxyDNS: Sendable {
    /// The resolver every upstream connection uses: the environment's DNS server, else the system's.
    public static let shared: ProxyDNS = ProcessInfo.processInfo.environment["WEFT_DNS_SERVER"].flatMap { ProxyDNS(server: $0) } ?? ProxyDNS()

    /// How long one query waits for its answer before it is sent again (twice in all).
    static let attemptTimeout: TimeAmount = .seconds(1)
    /// How long a system resolver's answer is kept (it gives no TTL): Envoy's dns_refresh_rate.
    static let systemAnswerLifetime: TimeAmount = .seconds(5)

    /// The DNS server asked; nil: the system resolver.
    private let server: SocketAddress?
    private let cache = NIOLockedValueBox<[String: (addresses: [String], ttl: TimeAmount, expires: NIODeadline)]>([:])

    /// Why a name did not resolve.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    public init?(server: String) {
        guard let colon = server.lastIndex(of: ":"), let port = Int(server[server.index(after: colon)...]),
              let address = try? SocketAddress(ipAddress: String(server[..<colon]), port: port) else { return nil }
        self.server = address
    }

    /// The system resolver's.
    public init() { server = nil }

    /// The IPv4 addresses of `name` (a literal address is itself).
    func resolve(_ name: String, on eventLoop: any EventLoop) -> EventLoopFuture<[String]> {
        if Self.isAddress(name) { return eventLoop.makeSucceededFuture([name]) }
        let key = name.lowercased()
        let now = NIODeadline.now()
        let cached = cache.withLockedValue { $0[key] }
        if let cached, cached.expires > now { return eventLoop.makeSucceededFuture(cached.addresses) }
        let answer = server.map { query(key, server: $0, on: eventLoop, attemptsLeft: 2) } ?? systemQuery(key, on: eventLoop)
        return answer.flatMapError { [cache] error in
            // The last good answer serves on while the server cannot give a new one, asked again after its TTL.
            guard let cached else { return eventLoop.makeFailedFuture(error) }
            cache.withLockedValue { $0[key] = (cached.addresses, cached.ttl, NIODeadline.now() + cached.ttl) }
            return eventLoop.makeSucceededFuture(cached.addresses)
        }
    }

    /// The addresses of `name` as last answered, nil before it was ever asked. Past the answer's
    /// TTL they serve on while a new query (one at a time per name) runs on the calling thread's
    /// event loop, as Envoy's DNS clusters keep their hosts until a refresh replaces them.
    func addresses(of name: String) -> [String]? {
        let key = name.lowercased()
        let now = NIODeadline.now()
        let (entry, refresh) = cache.withLockedValue { cache -> ((addresses: [String], ttl: TimeAmount, expires: NIODeadline)?, Bool) in
            guard let entry = cache[key], entry.expires <= now else { return (cache[key], false) }
            // Pushed forward so the requests that follow do not each ask again; the query's answer replaces it.
            cache[key] = (entry.addresses, entry.ttl, now + entry.ttl)
            return (entry, true)
        }
        if refresh, let eventLoop = MultiThreadedEventLoopGroup.currentEventLoop {
            let started = resolveAgain(key, on: eventLoop)
            started.whenComplete { _ in }
        }
        return entry?.addresses
    }

    /// Asks for `name` now, whatever the cache holds (a failure keeps the last good answer).
    private func resolveAgain(_ name: String, on eventLoop: any EventLoop) -> EventLoopFuture<[String]> {
        (server.map { query(name, server: $0, on: eventLoop, attemptsLeft: 2) } ?? systemQuery(name, on: eventLoop))
    }

    /// Whether `name` is a literal IPv4 or IPv6 address, which needs no lookup.
    static func isAddress(_ name: String) -> Bool {
        guard let first = name.utf8.first, (first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9")) || name.contains(":") else { return false }
        return (try? SocketAddress(ipAddress: name, port: 0)) != nil
    }

    func remember(_ name: String, _ addresses: [String], for lifetime: TimeAmount) {
        cache.withLockedValue { $0[name] = (addresses, lifetime, NIODeadline.now() + lifetime) }
    }

    private func query(_ name: String, server: SocketAddress, on eventLoop: any EventLoop, attemptsLeft: Int) -> EventLoopFuture<[String]> {
        let id = UInt16.random(in: 0...UInt16.max)
        let answer = eventLoop.makePromise(of: DNSMessage.Answer.self)
        let channel = DatagramBootstrap(group: eventLoop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(DNSAnswerHandler(id: id, answer: answer)) }
            }
            .bind(host: "0.0.0.0", port: 0)
        channel.whenSuccess { channel in
            channel.writeAndFlush(AddressedEnvelope(remoteAddress: server, data: DNSMessage.query(id: id, name: name)), promise: nil)
        }
        channel.whenFailure { answer.fail($0) }
        let timeout = eventLoop.scheduleTask(in: Self.attemptTimeout) { answer.fail(Failure(description: "no answer from the DNS server for \(name)")) }
        let result = answer.futureResult.always { _ in
            timeout.cancel()
            channel.whenSuccess { $0.close(promise: nil) }
        }
        return result.flatMap { [self] answer -> EventLoopFuture<[String]> in
            switch answer {
            case .addresses(let addresses, let ttl):
                remember(name, addresses, for: .seconds(Int64(max(1, min(ttl, 86_400)))))
                return eventLoop.makeSucceededFuture(addresses)
            case .error(let code):
                return eventLoop.makeFailedFuture(Failure(description: code == 3 ? "\(name) does not exist (NXDOMAIN)" : "the DNS server answered \(name) with error \(code)"))
            case .malformed:
                return eventLoop.makeFailedFuture(Failure(description: "a malformed DNS answer for \(name)"))
            }
        }.flatMapError { error in
            guard attemptsLeft > 1, error is Failure, (error as? Failure)?.description.hasPrefix("no answer") == true else { return eventLoop.makeFailedFuture(error) }
            return self.query(name, server: server, on: eventLoop, attemptsLeft: attemptsLeft - 1)
        }
    }

    /// A NIO resolver for a client bootstrap on `eventLoop`.
    func resolver(on eventLoop: any EventLoop) -> some Resolver & Sendable { BootstrapResolver(dns: self, eventLoop: eventLoop) }
}

/// Receives the one answer a query waits for; other datagrams are ignored.
private final class DNSAnswerHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let id: UInt16
    private let answer: EventLoopPromise<DNSMessage.Answer>

    init(id: UInt16, answer: EventLoopPromise<DNSMessage.Answer>) {
        self.id = id
        self.answer = answer
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let result = DNSMessage.answer(unwrapInboundIn(data).data, id: id)
        if result != .malformed { answer.succeed(result) }
    }
}

/// ProxyDNS as NIO's `Resolver`: A records only (the mesh's addresses are IPv4).
private struct BootstrapResolver: Resolver, Sendable {
    let dns: ProxyDNS
    let eventLoop: any EventLoop

    func initiateAQuery(host: String, port: Int) -> EventLoopFuture<[SocketAddress]> {
        dns.resolve(host, on: eventLoop).flatMapThrowing { addresses in try addresses.map { try SocketAddress(ipAddress: $0, port: port) } }
    }

    func initiateAAAAQuery(host: String, port: Int) -> EventLoopFuture<[SocketAddress]> {
        if host.contains(":"), let address = try? SocketAddress(ipAddress: host, port: port) { return eventLoop.makeSucceededFuture([address]) }
        return eventLoop.makeSucceededFuture([])
    }

    func cancelQueries() {}
}
