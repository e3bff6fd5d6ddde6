import NIOCore
import Testing
@testable import WeftProxy

/// Addresses written out by hand read as NIO writes them.
@Suite("Socket address text")
struct SocketAddressTextTests {
    @Test("IPv4 as NIO's ipAddress gives it, every octet width at every place; IPv6 through NIO's", arguments: [
        "0.0.0.0", "127.0.0.1", "255.255.255.255", "10.1.20.3", "1.22.133.4", "199.99.9.100", "100.10.1.0", "8.8.4.4",
    ])
    func ipv4(text: String) throws {
        let address = try SocketAddress(ipAddress: text, port: 8080)
        #expect(address.ipText == text && address.ipText == address.ipAddress)
    }

    @Test("IPv6 and addresses that are not IP")
    func others() throws {
        let v6 = try SocketAddress(ipAddress: "fe80::1", port: 80)
        #expect(v6.ipText == v6.ipAddress && v6.ipText != nil)
        #expect(try SocketAddress(unixDomainSocketPath: "/tmp/weft-test.sock").ipText == nil)
    }

    @Test("every value of one octet, in each place")
    func everyOctet() throws {
        for value in 0...255 {
            for place in 0..<4 {
                var octets = [1, 2, 3, 4]
                octets[place] = value
                let text = octets.map(String.init).joined(separator: ".")
                #expect(try SocketAddress(ipAddress: text, port: 1).ipText == text)
            }
        }
    }
}
