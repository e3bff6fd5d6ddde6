/// Syntax rules for Kubernetes names, labels, and the host names Istio accepts.
public enum Names {
    public static func isDNS1123Label(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 63 else { return false }
        let bytes = Array(text.utf8)
        guard isAlnumLower(bytes.first!), isAlnumLower(bytes.last!) else { return false }
        return bytes.allSatisfy { isAlnumLower($0) || $0 == UInt8(ascii: "-") }
    }

    public static func isDNS1123Subdomain(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 253 else { return false }
        return text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { isDNS1123Label(String($0)) }
    }

    private static func isAlnumLower(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }

    private static func isAlnum(_ byte: UInt8) -> Bool {
        isAlnumLower(byte) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
    }

    /// A label value: empty, or up to 63 alphanumerics with '-', '_', '.' inside.
    public static func labelValueProblem(_ value: String) -> String? {
        if value.isEmpty { return nil }
        let bytes = Array(value.utf8)
        let ok = bytes.count <= 63 && isAlnum(bytes.first!) && isAlnum(bytes.last!)
            && bytes.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
        return ok ? nil : "invalid label value \"\(value)\": at most 63 characters, letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
    }

    /// A label or annotation key: an optional DNS subdomain prefix and '/', then a name.
    public static func labelKeyProblem(_ key: String) -> String? {
        var name = Substring(key)
        if let slash = key.firstIndex(of: "/") {
            let prefix = String(key[..<slash])
            if !isDNS1123Subdomain(prefix) { return "invalid key \"\(key)\": the prefix must be a DNS subdomain" }
            name = key[key.index(after: slash)...]
        }
        let bytes = Array(name.utf8)
        let ok = !bytes.isEmpty && bytes.count <= 63 && isAlnum(bytes.first!) && isAlnum(bytes.last!)
            && bytes.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
        return ok ? nil : "invalid key \"\(key)\": the name part must be 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
    }

    /// Istio's `ValidateWildcardDomain`: a FQDN or short name, optionally starting with `*.` or being `*`.
    public static func wildcardDomainProblem(_ host: String) -> String? {
        if host.isEmpty { return "host must not be empty" }
        if host.utf8.count > 255 { return "host \"\(host)\" is longer than 255 characters" }
        var rest = Substring(host)
        if rest == "*" { return nil }
        if rest.hasPrefix("*") {
            rest = rest.dropFirst()
            guard rest.hasPrefix(".") else { return "host \"\(host)\": a wildcard must be the whole first label (\"*.example.com\")" }
            rest = rest.dropFirst()
        }
        return domainProblem(String(rest), original: host)
    }

    /// A host that must not contain a wildcard (DestinationRule subsets, Destination.host allows short names).
    public static func domainProblem(_ host: String, original: String? = nil) -> String? {
        let shown = original ?? host
        if host.isEmpty { return "host \"\(shown)\" has an empty domain" }
        var labels = host.split(separator: ".", omittingEmptySubsequences: false)
        if labels.last == "" { labels.removeLast() }  // a trailing dot is a FQDN
        for label in labels {
            if label.isEmpty { return "host \"\(shown)\" has an empty label" }
            if label.utf8.count > 63 { return "host \"\(shown)\" has a label longer than 63 characters" }
            let bytes = Array(label.utf8)
            if !isAlnum(bytes.first!) || !isAlnum(bytes.last!) || !bytes.allSatisfy({ isAlnum($0) || $0 == UInt8(ascii: "-") }) {
                if label == "*" { return "host \"\(shown)\": a wildcard is only allowed as the first label" }
                return "host \"\(shown)\" is not a valid domain name: label \"\(label)\" may hold only letters, digits and '-'"
            }
        }
        return nil
    }

    public static func isIPv4(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isNumber), let value = Int(part) else { return false }
            return value <= 255 && !(part.count > 1 && part.first == "0")
        }
    }

    public static func isIPv6(_ text: String) -> Bool {
        guard text.contains(":"), text.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return false }
        let doubleColons = text.components(separatedBy: "::").count - 1
        guard doubleColons <= 1 else { return false }
        let groups = text.split(separator: ":", omittingEmptySubsequences: true)
        if let last = groups.last, last.contains(".") {
            guard isIPv4(String(last)) else { return false }
            return groups.dropLast().allSatisfy { $0.count <= 4 } && (doubleColons == 1 ? groups.count <= 7 : groups.count == 7)
        }
        return groups.allSatisfy { $0.count <= 4 && !$0.contains(".") } && (doubleColons == 1 ? groups.count <= 7 : groups.count == 8)
    }

    public static func isIP(_ text: String) -> Bool { isIPv4(text) || isIPv6(text) }

    /// An IP address or CIDR block ("10.0.0.0/8", "::1/128", "1.2.3.4").
    public static func cidrProblem(_ text: String) -> String? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { return "\"\(text)\" is not an IP address or CIDR block" }
        let address = String(parts[0])
        let v4 = isIPv4(address)
        guard v4 || isIPv6(address) else { return "\"\(text)\" is not an IP address or CIDR block" }
        if parts.count == 2 {
            guard let bits = Int(parts[1]), bits >= 0, bits <= (v4 ? 32 : 128) else {
                return "\"\(text)\" has an invalid prefix length"
            }
        }
        return nil
    }

    /// A TCP/UDP port number, 1-65535.
    public static func isPort(_ value: Int) -> Bool { value >= 1 && value <= 65535 }

    /// An HTTP header name as RFC 7230 allows it (a token), lower-case for pseudo-header-free matching.
    public static func headerNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "header name must not be empty" }
        let tokenExtras = Set("!#$%&'*+-.^_`|~".utf8)
        let ok = name.utf8.allSatisfy { isAlnum($0) || tokenExtras.contains($0) }
        return ok ? nil : "invalid header name \"\(name)\""
    }
}
