/// The client address a gateway trusts from `X-Forwarded-For` when proxies stand in front of it
/// (ProxyConfig `gatewayTopology.numTrustedProxies`, Envoy's `xff_num_trusted_hops`): each of
/// them appended the address it was called from, so the `trustedProxies`-th entry from the right
/// is the address the first trusted proxy saw. Authorization's `remoteIpBlocks`, consistent hashing
/// on the source IP and `X-Envoy-External-Address` use it in place of the connection's peer.
public enum ForwardedFor {
    /// That entry of the request's `X-Forwarded-For` (every field of the name read as one list, as
    /// Envoy joins them), or nil when the list is shorter, the entry is not an IP address, or no
    /// proxy is trusted: the peer's address is the client's then.
    public static func trustedClient(in headers: HeaderFields, trustedProxies: Int) -> String? {
        guard trustedProxies > 0 else { return nil }
        var entries: [Substring] = []
        headers.forEachValue(HeaderName("x-forwarded-for")) { value in
            let text = String(decoding: value, as: UTF8.self)
            entries.append(contentsOf: text.split(separator: ",", omittingEmptySubsequences: false))
        }
        guard entries.count >= trustedProxies else { return nil }
        let entry = entries[entries.count - trustedProxies].trimmingWhitespace()
        return isAddress(entry) ? String(entry) : nil
    }

    /// An IPv4 address in dotted form, or an IPv6 address (two to eight hex groups of at most four
    /// digits between colons, an IPv4 tail allowed); not an address with a port.
    public static func isAddress(_ text: Substring) -> Bool {
        if IPBlock.ipv4(String(text)) != nil { return true }
        let groups = text.split(separator: ":", omittingEmptySubsequences: false)
        guard groups.count >= 3, groups.count <= 9, text.count <= 45 else { return false }
        for (index, group) in groups.enumerated() {
            if index == groups.count - 1, group.contains(".") { return IPBlock.ipv4(String(group)) != nil }
            guard group.count <= 4, group.allSatisfy(\.isHexDigit) else { return false }
        }
        return true
    }
}

extension Substring {
    /// Without the spaces and tabs around it (a list's optional whitespace, RFC 9110 §5.6.1).
    func trimmingWhitespace() -> Substring {
        var trimmed = self
        while let first = trimmed.first, first == " " || first == "\t" { trimmed.removeFirst() }
        while let last = trimmed.last, last == " " || last == "\t" { trimmed.removeLast() }
        return trimmed
    }
}
