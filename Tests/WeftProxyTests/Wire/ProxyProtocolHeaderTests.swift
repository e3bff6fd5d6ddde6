import NIOCore
import Testing
import WeftModel
@testable import WeftProxy

/// PROXY protocol headers as HAProxy's proxy-protocol.txt writes them, read as Envoy's listener
/// filter reads them (the end-to-end test has HAProxy itself write both versions).
@Suite("PROXY protocol header")
struct ProxyProtocolHeaderTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// A version 2 header: signature, version 2 and `command`, `familyAndTransport`, the length, then `body`.
    static func v2(command: UInt8 = 1, familyAndTransport: UInt8, body: [UInt8]) -> [UInt8] {
        ProxyProtocolHeader.v2Signature + [0x20 | command, familyAndTransport, UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body
    }

    static func addresses(_ reading: ProxyProtocolHeader.Reading) -> (remote: String, local: String)? {
        guard case .header(let header) = reading, let addresses = header.addresses else { return nil }
        return ("\(addresses.remote.ipAddress ?? ""):\(addresses.remote.port ?? -1)", "\(addresses.local.ipAddress ?? ""):\(addresses.local.port ?? -1)")
    }

    @Test("version 1: TCP4 and TCP6 name the client and where it connected; the stream starts after the CRLF")
    func version1() throws {
        let line = "PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n"
        let reading = ProxyProtocolHeader.read(Self.bytes(line + "GET / HTTP/1.1\r\n"))
        #expect(Self.addresses(reading)?.remote == "192.0.2.1:56324")
        #expect(Self.addresses(reading)?.local == "198.51.100.2:443")
        guard case .header(let header) = reading else { Issue.record("no header: \(reading)"); return }
        #expect(header.length == line.utf8.count)
        #expect(header.version == .v1)
        let six = ProxyProtocolHeader.read(Self.bytes("PROXY TCP6 2001:db8::1 2001:db8::2 1000 8443\r\n"))
        #expect(Self.addresses(six)?.remote == "2001:db8::1:1000")
        #expect(Self.addresses(six)?.local == "2001:db8::2:8443")
    }

    @Test("version 1 UNKNOWN keeps the connection's own addresses, whatever follows it on the line")
    func version1Unknown() {
        for line in ["PROXY UNKNOWN\r\n", "PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n"] {
            let reading = ProxyProtocolHeader.read(Self.bytes(line))
            #expect(reading == .header(ProxyProtocolHeader(version: .v1, addresses: nil, length: line.utf8.count)), "\(line)")
        }
    }

    @Test("a header arriving in pieces is incomplete until its end; bytes that start neither version are not one")
    func pieces() {
        let line = Self.bytes("PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n")
        for cut in 1..<line.count { #expect(ProxyProtocolHeader.read(Array(line.prefix(cut))) == .incomplete, "cut at \(cut)") }
        let binary = Self.v2(familyAndTransport: 0x11, body: [192, 0, 2, 1, 198, 51, 100, 2, 0xDC, 0x04, 0x01, 0xBB])
        for cut in 1..<binary.count { #expect(ProxyProtocolHeader.read(Array(binary.prefix(cut))) == .incomplete, "cut at \(cut)") }
        #expect(ProxyProtocolHeader.read(Self.bytes("GET / HTTP/1.1\r\n")) == .notFound)
        #expect(ProxyProtocolHeader.read([0x16, 0x03, 0x01]) == .notFound, "a TLS ClientHello")
        #expect(ProxyProtocolHeader.read(Self.bytes("PROXX")) == .notFound)
        #expect(ProxyProtocolHeader.read([]) == .incomplete)
    }

    @Test("malformed version 1 lines are refused", arguments: [
        "PROXY TCP4 192.0.2.1 198.51.100.2 56324\r\n",         // a field short
        "PROXY TCP4 192.0.2.1 198.51.100.2 56324 443 x\r\n",   // a field over
        "PROXY TCP5 192.0.2.1 198.51.100.2 56324 443\r\n",     // no such protocol
        "PROXY TCP4 2001:db8::1 198.51.100.2 56324 443\r\n",   // IPv6 under TCP4
        "PROXY TCP6 192.0.2.1 2001:db8::2 56324 443\r\n",      // IPv4 under TCP6
        "PROXY TCP4 192.0.2.256 198.51.100.2 56324 443\r\n",   // not an address
        "PROXY TCP4 192.0.2.1 198.51.100.2 65536 443\r\n",     // port out of range
        "PROXY TCP4 192.0.2.1 198.51.100.2 +5 443\r\n",        // not digits
        "PROXY TCP4 192.0.2.1  198.51.100.2 56324 443\r\n",    // two spaces
        "PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\n",       // LF alone
    ])
    func malformedVersion1(line: String) {
        guard case .invalid(.v1, _) = ProxyProtocolHeader.read(Self.bytes(line)) else {
            Issue.record("\(line.debugDescription) read as \(ProxyProtocolHeader.read(Self.bytes(line)))")
            return
        }
    }

    @Test("a version 1 line with no CRLF in its 107 bytes is refused, not waited on")
    func overlongVersion1() {
        let line = "PROXY TCP4 " + String(repeating: "1", count: 120)
        guard case .invalid(.v1, _) = ProxyProtocolHeader.read(Self.bytes(line)) else { Issue.record("read as \(ProxyProtocolHeader.read(Self.bytes(line)))"); return }
    }

    @Test("version 2: AF_INET and AF_INET6 addresses, TLVs after them skipped with the header's length")
    func version2() {
        let tlv: [UInt8] = [0x04, 0x00, 0x03, 0x61, 0x62, 0x63]  // PP2_TYPE_NOOP, 3 bytes
        let four = Self.v2(familyAndTransport: 0x11, body: [192, 0, 2, 1, 198, 51, 100, 2, 0xDC, 0x04, 0x01, 0xBB] + tlv)
        let reading = ProxyProtocolHeader.read(four + Self.bytes("GET /"))
        #expect(Self.addresses(reading)?.remote == "192.0.2.1:56324")
        #expect(Self.addresses(reading)?.local == "198.51.100.2:443")
        guard case .header(let header) = reading else { Issue.record("no header: \(reading)"); return }
        #expect(header.length == four.count && header.version == .v2)
        let source: [UInt8] = [0x20, 0x01, 0x0D, 0xB8] + Array(repeating: 0, count: 11) + [1]
        let destination: [UInt8] = [0x20, 0x01, 0x0D, 0xB8] + Array(repeating: 0, count: 11) + [2]
        let six = ProxyProtocolHeader.read(Self.v2(familyAndTransport: 0x21, body: source + destination + [0x03, 0xE8, 0x20, 0xFB]))
        #expect(Self.addresses(six)?.remote == "2001:db8::1:1000")
        #expect(Self.addresses(six)?.local == "2001:db8::2:8443")
    }

    @Test("version 2 LOCAL (a balancer's health check) and AF_UNSPEC keep the connection's addresses")
    func version2Local() {
        let local = Self.v2(command: 0, familyAndTransport: 0x00, body: [])
        #expect(ProxyProtocolHeader.read(local) == .header(ProxyProtocolHeader(version: .v2, addresses: nil, length: 16)))
        let localWithAddresses = Self.v2(command: 0, familyAndTransport: 0x11, body: Array(repeating: 1, count: 12))
        #expect(ProxyProtocolHeader.read(localWithAddresses) == .header(ProxyProtocolHeader(version: .v2, addresses: nil, length: 28)))
        let unspecified = Self.v2(familyAndTransport: 0x00, body: [])
        #expect(ProxyProtocolHeader.read(unspecified) == .header(ProxyProtocolHeader(version: .v2, addresses: nil, length: 16)))
    }

    @Test("malformed version 2 headers are refused: version, command, UNIX family, datagrams, short addresses")
    func malformedVersion2() {
        var wrongVersion = Self.v2(familyAndTransport: 0x11, body: Array(repeating: 1, count: 12))
        wrongVersion[12] = 0x11
        let cases: [(String, [UInt8])] = [
            ("version 1 in the binary form", wrongVersion),
            ("command 2", Self.v2(command: 2, familyAndTransport: 0x11, body: Array(repeating: 1, count: 12))),
            ("AF_UNIX", Self.v2(familyAndTransport: 0x31, body: Array(repeating: 1, count: 216))),
            ("a datagram", Self.v2(familyAndTransport: 0x12, body: Array(repeating: 1, count: 12))),
            ("AF_INET with 8 address bytes", Self.v2(familyAndTransport: 0x11, body: Array(repeating: 1, count: 8))),
            ("AF_INET6 with 12 address bytes", Self.v2(familyAndTransport: 0x21, body: Array(repeating: 1, count: 12))),
        ]
        for (name, bytes) in cases {
            guard case .invalid(.v2, _) = ProxyProtocolHeader.read(bytes) else { Issue.record("\(name) read as \(ProxyProtocolHeader.read(bytes))"); continue }
        }
    }

    @Test("what an upstream connection is sent reads back as written, both versions, IPv4 and IPv6; no ends: UNKNOWN or LOCAL")
    func encoded() throws {
        let pairs = [(try SocketAddress(ipAddress: "203.0.113.7", port: 56324), try SocketAddress(ipAddress: "198.51.100.2", port: 443)),
                     (try SocketAddress(ipAddress: "2001:db8::1", port: 1000), try SocketAddress(ipAddress: "2001:db8::2", port: 8443))]
        for (source, destination) in pairs {
            for version in [ProxyProtocolVersion.v1, .v2] {
                let bytes = ProxyProtocolHeader.encode(version, source: source, destination: destination)
                let reading = ProxyProtocolHeader.read(bytes)
                guard case .header(let header) = reading else { Issue.record("\(version) \(source): \(reading)"); continue }
                #expect(header.version == version && header.length == bytes.readableBytes)
                #expect(header.addresses?.remote == source && header.addresses?.local == destination, "\(version)")
            }
        }
        #expect(String(buffer: ProxyProtocolHeader.encode(.v1, source: pairs[0].0, destination: pairs[0].1)) == "PROXY TCP4 203.0.113.7 198.51.100.2 56324 443\r\n")
        #expect(String(buffer: ProxyProtocolHeader.encode(.v1, source: nil, destination: nil)) == "PROXY UNKNOWN\r\n")
        let local = ProxyProtocolHeader.encode(.v2, source: nil, destination: nil)
        #expect(Array(local.readableBytesView) == ProxyProtocolHeader.v2Signature + [0x20, 0x00, 0x00, 0x00], "LOCAL, no addresses")
        let mixed = ProxyProtocolHeader.read(ProxyProtocolHeader.encode(.v2, source: pairs[0].0, destination: pairs[1].1))
        #expect(Self.addresses(mixed)?.remote == "::ffff:203.0.113.7:56324", "an IPv4 end beside an IPv6 one is mapped")
    }
}
