import Foundation
import NIOPosix

/// Which addresses the control plane may fetch a `jwksUri` from: never link-local or a cloud
/// metadata address (as istiod since 1.31.1), nor any range `BLOCKED_CIDRS_IN_JWKS_URIS` names.
/// A host is resolved here and the check made on every address it resolves to; the fetch then
/// dials the checked address itself, so a second lookup cannot answer differently.
public struct JWKSAddressPolicy: Sendable {
    /// One range: network bytes (4 or 16) and prefix length.
    struct Range: Sendable {
        var bytes: [UInt8]
        var prefix: Int
        var text: String

        func contains(_ address: [UInt8]) -> Bool {
            guard address.count == bytes.count else { return false }
            var left = prefix
            for (a, b) in zip(address, bytes) where left > 0 {
                let bits = min(8, left)
                let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
                if a & mask != b & mask { return false }
                left -= bits
            }
            return true
        }
    }

    /// Blocked whatever the setting says.
    public static let alwaysBlocked = ["169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128"]

    let always: [Range]
    let configured: [Range]

    /// The default policy, built from constants that always parse.
    static let linkLocalOnly = JWKSAddressPolicy(always: alwaysBlocked.compactMap(range), configured: [])

    private init(always: [Range], configured: [Range]) {
        self.always = always
        self.configured = configured
    }

    /// `blocked`: the ranges of `BLOCKED_CIDRS_IN_JWKS_URIS`; one that does not parse is an error naming it.
    public init(blocked: [String] = []) throws {
        always = Self.alwaysBlocked.compactMap(Self.range)
        configured = try blocked.map { text in
            guard let range = Self.range(text) else { throw JWKSAddressPolicyError(description: "BLOCKED_CIDRS_IN_JWKS_URIS: \"\(text)\" is not a CIDR range (e.g. 10.0.0.0/8, fd00::/8)") }
            return range
        }
    }

    /// Parses `a.b.c.d/n`, `x::y/n`, or a bare address (a /32 or /128).
    static func range(_ text: String) -> Range? {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "/", maxSplits: 1).map(String.init)
        guard let first = parts.first, let bytes = address(first) else { return nil }
        let prefix = parts.count == 2 ? Int(parts[1]) : bytes.count * 8
        guard let prefix, (0...(bytes.count * 8)).contains(prefix) else { return nil }
        return Range(bytes: bytes, prefix: prefix, text: text.trimmingCharacters(in: .whitespaces))
    }

    /// An IPv4 or IPv6 address's bytes, nil for anything else.
    static func address(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    /// Why `address` may not be fetched from; nil when it may.
    public func refusal(_ address: String) -> String? {
        guard let bytes = Self.address(address) else { return "\(address) is not an IP address" }
        if let range = always.first(where: { $0.contains(bytes) }) { return "\(address) is link-local or a metadata address (\(range.text)), never fetched from" }
        if let range = configured.first(where: { $0.contains(bytes) }) { return "\(address) is in \(range.text), which BLOCKED_CIDRS_IN_JWKS_URIS blocks" }
        return nil
    }

    /// The addresses `host` resolves to (itself when it is one), looked up off the caller's thread.
    public static func resolve(_ host: String) async throws -> [String] {
        if address(host) != nil { return [host] }
        return try await NIOThreadPool.singleton.runIfActive {
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var list: UnsafeMutablePointer<addrinfo>?
            let status = getaddrinfo(host, nil, &hints, &list)
            guard status == 0, let list else { throw JWKSAddressPolicyError(description: "cannot resolve \(host): \(String(cString: gai_strerror(status)))") }
            defer { freeaddrinfo(list) }
            var addresses: [String] = []
            var entry: UnsafeMutablePointer<addrinfo>? = list
            while let current = entry {
                var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
                if current.pointee.ai_family == AF_INET, let raw = current.pointee.ai_addr {
                    var sin = raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee }
                    inet_ntop(AF_INET, &sin.sin_addr, &buffer, socklen_t(buffer.count))
                } else if current.pointee.ai_family == AF_INET6, let raw = current.pointee.ai_addr {
                    var sin6 = raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee }
                    inet_ntop(AF_INET6, &sin6.sin6_addr, &buffer, socklen_t(buffer.count))
                }
                let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if !text.isEmpty, !addresses.contains(text) { addresses.append(text) }
                entry = current.pointee.ai_next
            }
            return addresses
        }
    }
}

/// A blocked-range setting that does not parse, or a host that does not resolve.
public struct JWKSAddressPolicyError: Error, CustomStringConvertible {
    public var description: String
}
