import NIOCore
import WeftModel

/// The two ends of a connection as a proxy in front saw them, from its PROXY protocol header:
/// the client (`remote`) and the address the client connected to (`local`). Envoy's proxy_protocol
/// listener filter puts them in place of the socket's own, and so does Weft: every reader of a
/// connection's addresses (policies' `source.ip`, `X-Forwarded-For`, access logs) sees these.
final class ProxiedAddresses: Sendable {
    let remote: SocketAddress
    let local: SocketAddress

    init(remote: SocketAddress, local: SocketAddress) {
        self.remote = remote
        self.local = local
    }
}

/// A PROXY protocol header (HAProxy's proxy-protocol.txt, versions 1 and 2) read from the first
/// bytes of a connection, as Envoy's listener filter reads it: both versions told apart by their
/// first bytes, TLVs skipped, an unknown or UNIX family refused.
struct ProxyProtocolHeader: Equatable {
    var version: ProxyProtocolVersion
    /// The ends it names; nil when it names none (v1 `UNKNOWN`, v2 `LOCAL` or `AF_UNSPEC`): the
    /// connection's own addresses stand.
    var addresses: ProxiedAddresses?
    /// How many bytes it took; what follows is the client's stream.
    var length: Int

    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.version == rhs.version && lhs.length == rhs.length
            && lhs.addresses?.remote == rhs.addresses?.remote && lhs.addresses?.local == rhs.addresses?.local
    }

    /// What the first bytes of a connection say.
    enum Reading: Equatable {
        /// Not enough bytes yet to tell.
        case incomplete
        /// The bytes start with neither version's signature.
        case notFound
        /// A header of that version, malformed.
        case invalid(ProxyProtocolVersion, String)
        case header(ProxyProtocolHeader)
    }

    /// Version 1's longest line, CRLF included (the specification's bound).
    static let v1MaximumLength = 107
    static let v1Prefix = Array("PROXY ".utf8)
    static let v2Signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]

    /// Reads a header from the start of `bytes`.
    static func read(_ bytes: ByteBuffer) -> Reading {
        bytes.withUnsafeReadableBytes { read(Array($0)) }
    }

    static func read(_ bytes: [UInt8]) -> Reading {
        if bytes.isEmpty { return .incomplete }
        if startsLike(bytes, v2Signature) {
            return bytes.count < v2Signature.count ? .incomplete : readV2(bytes)
        }
        if startsLike(bytes, v1Prefix) {
            return bytes.count < v1Prefix.count ? .incomplete : readV1(bytes)
        }
        return .notFound
    }

    /// The bytes so far agree with `signature` (as far as either goes).
    private static func startsLike(_ bytes: [UInt8], _ signature: [UInt8]) -> Bool {
        zip(bytes, signature).allSatisfy { $0 == $1 }
    }

    // MARK: version 1: "PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n"

    private static func readV1(_ bytes: [UInt8]) -> Reading {
        let window = bytes.prefix(v1MaximumLength)
        guard let newline = window.firstIndex(of: UInt8(ascii: "\n")) else {
            return bytes.count >= v1MaximumLength ? .invalid(.v1, "no CRLF within \(v1MaximumLength) bytes") : .incomplete
        }
        guard newline > 0, bytes[newline - 1] == UInt8(ascii: "\r") else { return .invalid(.v1, "the line does not end in CRLF") }
        let line = String(decoding: bytes[v1Prefix.count..<(newline - 1)], as: UTF8.self)
        let fields = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        let length = newline + 1
        if fields.first == "UNKNOWN" { return .header(ProxyProtocolHeader(version: .v1, addresses: nil, length: length)) }
        guard fields.count == 5, fields[0] == "TCP4" || fields[0] == "TCP6" else {
            return .invalid(.v1, "expected TCP4, TCP6 or UNKNOWN and four fields, got \"\(line)\"")
        }
        let v6 = fields[0] == "TCP6"
        guard let sourcePort = port(fields[3]), let destinationPort = port(fields[4]) else { return .invalid(.v1, "bad port in \"\(line)\"") }
        guard let source = address(fields[1], port: sourcePort, v6: v6), let destination = address(fields[2], port: destinationPort, v6: v6) else {
            return .invalid(.v1, "bad \(fields[0]) address in \"\(line)\"")
        }
        return .header(ProxyProtocolHeader(version: .v1, addresses: ProxiedAddresses(remote: source, local: destination), length: length))
    }

    /// A decimal port, 0-65535, digits only.
    private static func port(_ text: String) -> Int? {
        guard !text.isEmpty, text.count <= 5, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), let value = Int(text), value <= 65535 else { return nil }
        return value
    }

    /// An address of the family the header names.
    private static func address(_ text: String, port: Int, v6: Bool) -> SocketAddress? {
        guard let address = try? SocketAddress(ipAddress: text, port: port) else { return nil }
        switch address {
        case .v4: return v6 ? nil : address
        case .v6: return v6 ? address : nil
        default: return nil
        }
    }

    // MARK: version 2: signature, version and command, family and transport, length, addresses, TLVs

    private static func readV2(_ bytes: [UInt8]) -> Reading {
        guard bytes.count >= 16 else { return .incomplete }
        let versionAndCommand = bytes[12]
        guard versionAndCommand >> 4 == 2 else { return .invalid(.v2, "version \(versionAndCommand >> 4), expected 2") }
        let command = versionAndCommand & 0x0F
        guard command <= 1 else { return .invalid(.v2, "unknown command \(command)") }
        let family = bytes[13] >> 4
        let transport = bytes[13] & 0x0F
        let declared = Int(bytes[14]) << 8 | Int(bytes[15])
        let length = 16 + declared
        guard bytes.count >= length else { return .incomplete }
        // LOCAL: the proxy's own connection (a health check); the socket's addresses stand.
        if command == 0 { return .header(ProxyProtocolHeader(version: .v2, addresses: nil, length: length)) }
        guard transport <= 1 else { return .invalid(.v2, "transport \(transport) is not a stream") }
        let body = Array(bytes[16..<length])
        switch family {
        case 0:
            return .header(ProxyProtocolHeader(version: .v2, addresses: nil, length: length))
        case 1:
            guard body.count >= 12 else { return .invalid(.v2, "\(body.count) address bytes for AF_INET, need 12") }
            return addressed(source: body[0..<4], destination: body[4..<8], ports: body[8..<12], length: length)
        case 2:
            guard body.count >= 36 else { return .invalid(.v2, "\(body.count) address bytes for AF_INET6, need 36") }
            return addressed(source: body[0..<16], destination: body[16..<32], ports: body[32..<36], length: length)
        default:
            return .invalid(.v2, "address family \(family) is not supported")
        }
    }

    private static func addressed(source: ArraySlice<UInt8>, destination: ArraySlice<UInt8>, ports: ArraySlice<UInt8>, length: Int) -> Reading {
        let ports = Array(ports)
        let sourcePort = Int(ports[0]) << 8 | Int(ports[1])
        let destinationPort = Int(ports[2]) << 8 | Int(ports[3])
        guard let remote = try? SocketAddress(packedIPAddress: ByteBuffer(bytes: source), port: sourcePort),
              let local = try? SocketAddress(packedIPAddress: ByteBuffer(bytes: destination), port: destinationPort) else {
            return .invalid(.v2, "unreadable address")
        }
        return .header(ProxyProtocolHeader(version: .v2, addresses: ProxiedAddresses(remote: remote, local: local), length: length))
    }
}

extension ProxyProtocolHeader {
    /// The header an upstream connection starts with, as Envoy's upstream_proxy_protocol transport
    /// socket writes it: `source` and `destination` named (IPv4 or IPv6, both of one family; mixed,
    /// the IPv4 one mapped into IPv6); none (`source` nil): version 1 has no header without them
    /// (the caller gives the connection's own), version 2 says LOCAL.
    static func encode(_ version: ProxyProtocolVersion, source: SocketAddress?, destination: SocketAddress?) -> ByteBuffer {
        var buffer = ByteBuffer()
        guard let source, let destination, let sourceBytes = packed(source), let destinationBytes = packed(destination) else {
            if version == .v1 {
                buffer.writeString("PROXY UNKNOWN\r\n")
            } else {
                buffer.writeBytes(v2Signature + [0x20, 0x00, 0x00, 0x00])
            }
            return buffer
        }
        var (from, to) = (sourceBytes, destinationBytes)
        if from.count != to.count { (from, to) = (mappedToIPv6(from), mappedToIPv6(to)) }
        let six = from.count == 16
        let sourcePort = source.port ?? 0, destinationPort = destination.port ?? 0
        switch version {
        case .v1:
            let family = six ? "TCP6" : "TCP4"
            let sourceText = six ? ipv6Text(from) : source.ipAddress ?? ""
            let destinationText = six ? ipv6Text(to) : destination.ipAddress ?? ""
            buffer.writeString("PROXY \(family) \(sourceText) \(destinationText) \(sourcePort) \(destinationPort)\r\n")
        case .v2:
            let body = from + to + [UInt8(sourcePort >> 8), UInt8(sourcePort & 0xFF), UInt8(destinationPort >> 8), UInt8(destinationPort & 0xFF)]
            buffer.writeBytes(v2Signature + [0x21, six ? 0x21 : 0x11, 0x00, UInt8(body.count)] + body)
        }
        return buffer
    }

    private static func packed(_ address: SocketAddress) -> [UInt8]? {
        switch address {
        case .v4(let v4): return withUnsafeBytes(of: v4.address.sin_addr.s_addr) { Array($0) }
        case .v6(let v6): return withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
        default: return nil
        }
    }

    private static func mappedToIPv6(_ bytes: [UInt8]) -> [UInt8] {
        bytes.count == 16 ? bytes : Array(repeating: 0, count: 10) + [0xFF, 0xFF] + bytes
    }

    private static func ipv6Text(_ bytes: [UInt8]) -> String {
        (try? SocketAddress(packedIPAddress: ByteBuffer(bytes: bytes), port: 0))?.ipAddress ?? "::"
    }
}
