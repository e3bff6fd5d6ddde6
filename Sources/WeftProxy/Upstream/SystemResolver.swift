import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// The system's resolver for `ProxyDNS` when no DNS server is configured: getaddrinfo (which
/// reads /etc/hosts and resolv.conf as the host does), IPv4 only, run where blocking is allowed.
extension ProxyDNS {
    /// getaddrinfo on NIO's thread pool: it blocks.
    func systemQuery(_ name: String, on eventLoop: any EventLoop) -> EventLoopFuture<[String]> {
        NIOThreadPool.singleton.runIfActive(eventLoop: eventLoop) { try Self.getaddrinfoIPv4(name) }.map { [self] addresses in
            remember(name, addresses, for: Self.systemAnswerLifetime)
            return addresses
        }
    }

    static func getaddrinfoIPv4(_ name: String) throws -> [String] {
        var hints = addrinfo()
        hints.ai_family = AF_INET
        #if os(Linux)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(name, nil, &hints, &list)
        guard status == 0, let list else { throw Failure(description: "\(name) did not resolve (\(String(cString: gai_strerror(status))))") }
        defer { freeaddrinfo(list) }
        var addresses: [String] = []
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let current = entry {
            if current.pointee.ai_family == AF_INET, let raw = current.pointee.ai_addr {
                var address = raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
                var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
                if inet_ntop(AF_INET, &address, &text, socklen_t(INET_ADDRSTRLEN)) != nil {
                    let dotted = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                    if !addresses.contains(dotted) { addresses.append(dotted) }
                }
            }
            entry = current.pointee.ai_next
        }
        guard !addresses.isEmpty else { throw Failure(description: "\(name) has no IPv4 address") }
        return addresses
    }
}
