import Testing
import WeftModel

/// The client address a gateway trusts behind `numTrustedProxies` proxies: the N-th entry of
/// `X-Forwarded-For` from the right (Envoy's `xff_num_trusted_hops`), nil where Envoy falls back to the peer.
@Suite("Trusted client address from X-Forwarded-For")
struct ForwardedForTests {
    static func trusted(_ lines: String, _ proxies: Int) throws -> String? {
        let fields = try #require(HeaderFields(validating: Array(lines.utf8)))
        return ForwardedFor.trustedClient(in: fields, trustedProxies: proxies)
    }

    @Test("istio.io's network topology example: 56.5.6.7, 72.9.5.6, 98.1.2.3 with 2 trusted proxies is 72.9.5.6")
    func secondFromTheRight() throws {
        let xff = "X-Forwarded-For: 56.5.6.7, 72.9.5.6, 98.1.2.3\r\n"
        #expect(try Self.trusted(xff, 2) == "72.9.5.6")
        #expect(try Self.trusted(xff, 1) == "98.1.2.3")
        #expect(try Self.trusted(xff, 3) == "56.5.6.7")
    }

    @Test("fewer entries than trusted proxies, no header, no proxy trusted, or an entry that is no address: the peer decides (nil)")
    func fallsBack() throws {
        #expect(try Self.trusted("X-Forwarded-For: 56.5.6.7, 72.9.5.6\r\n", 3) == nil)
        #expect(try Self.trusted("Host: a\r\n", 1) == nil)
        #expect(try Self.trusted("X-Forwarded-For: 56.5.6.7\r\n", 0) == nil)
        #expect(try Self.trusted("X-Forwarded-For: unknown, 98.1.2.3\r\n", 2) == nil)
        #expect(try Self.trusted("X-Forwarded-For: 300.1.2.3\r\n", 1) == nil)
        #expect(try Self.trusted("X-Forwarded-For: 1.2.3.4:80\r\n", 1) == nil)
        #expect(try Self.trusted("X-Forwarded-For: [2001:db8::1]:443\r\n", 1) == nil)
        #expect(try Self.trusted("X-Forwarded-For: 2001:db8::12345\r\n", 1) == nil)
    }

    @Test("every X-Forwarded-For field is one list, read in order; spaces around entries do not count; IPv6 entries are addresses")
    func joinedAndIPv6() throws {
        #expect(try Self.trusted("X-Forwarded-For: 56.5.6.7\r\nx-forwarded-for: 72.9.5.6,98.1.2.3\r\n", 3) == "56.5.6.7")
        #expect(try Self.trusted("X-Forwarded-For: 2001:db8::1 ,\t10.0.0.1\r\n", 2) == "2001:db8::1")
        #expect(try Self.trusted("X-Forwarded-For: ::ffff:10.0.0.1\r\n", 1) == "::ffff:10.0.0.1")
    }
}
