/// A host name as Istio compares them: `*.example.com` matches `a.example.com`; `*` matches all.
public struct HostName: Hashable, Sendable, CustomStringConvertible {
    public var value: String
    public init(_ value: String) { self.value = value }

    public var isWildcard: Bool { value.hasPrefix("*") }
    public var description: String { value }

    /// True when the two names can match a common host (Istio's `host.Name.Matches`).
    public func matches(_ other: HostName) -> Bool {
        if isWildcard {
            if value == "*" { return true }
            if other.isWildcard {
                let mine = value.dropFirst(), theirs = other.value.dropFirst()
                return mine.count > theirs.count ? mine.hasSuffix(theirs) : theirs.hasSuffix(mine)
            }
            return other.value.hasSuffix(value.dropFirst())
        }
        if other.isWildcard { return other.matches(self) }
        return value == other.value
    }

    /// True when every host this name matches is also matched by `other` (Istio's `SubsetOf`).
    public func isSubset(of other: HostName) -> Bool {
        if other.value == "*" { return true }
        if isWildcard {
            guard other.isWildcard else { return false }
            return value.dropFirst().hasSuffix(other.value.dropFirst())
        }
        if other.isWildcard { return value.hasSuffix(other.value.dropFirst()) }
        return value == other.value
    }
}

/// The `@request.auth.claims.NAME` pseudo-header that routes on JWT claims at a gateway.
public enum JWTClaimRoute {
    public static let prefix = "@request.auth.claims"

    public static func isClaimHeader(_ name: String) -> Bool {
        name.hasPrefix(prefix + ".") || name.hasPrefix(prefix + "[")
    }

    /// The claim path: `a.b` and `[a][b]` both give ["a", "b"].
    public static func claimPath(_ name: String) -> [String]? {
        guard isClaimHeader(name) else { return nil }
        let rest = name.dropFirst(prefix.count)
        if rest.hasPrefix(".") { return rest.dropFirst().split(separator: ".").map(String.init) }
        let parts = rest.split(separator: "]").map { $0.hasPrefix("[") ? String($0.dropFirst()) : String($0) }
        return parts.isEmpty ? nil : parts
    }
}

extension Names {
    /// Istio's header-name rule for matches: letters, digits, '-' and '_'.
    public static func istioHeaderNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "header name cannot be empty" }
        let ok = name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D || byte == 0x5F
        }
        return ok ? nil : "header name \(name) is not a valid header name"
    }

    public static func isAuthorityHeader(_ name: String) -> Bool {
        name.lowercased() == ":authority" || name.lowercased() == "host"
    }

    /// Header edits may not touch pseudo-headers; requests may set the authority (through Host).
    public static func headerOperationProblem(_ name: String, allowAuthority: Bool) -> String? {
        if name.isEmpty { return "header name cannot be empty" }
        if allowAuthority && isAuthorityHeader(name) { return nil }
        if name.lowercased() == "host" { return "invalid header \"\(name)\": cannot set Host header" }
        if name.hasPrefix(":") { return "invalid header \"\(name)\": header cannot have \":\" prefix" }
        return nil
    }

    /// Header values: no control characters, and '%' only in Envoy's `%VARIABLE%` or `%%` forms.
    public static func headerValueProblem(_ value: String) -> String? {
        if value.unicodeScalars.contains(where: { ($0.value < 0x20 && $0.value != 0x09) || $0.value == 0x7F }) {
            return "header value configuration \(value) is invalid: control characters are not allowed"
        }
        var percentOpen = false
        var index = value.startIndex
        while index < value.endIndex {
            if value[index] == "%" {
                let next = value.index(after: index)
                if !percentOpen, next < value.endIndex, value[next] == "%" {
                    index = value.index(after: next)
                    continue
                }
                percentOpen.toggle()
            }
            index = value.index(after: index)
        }
        return percentOpen ? "header value configuration \(value) is invalid: unbalanced '%' (write %% for a literal percent sign)" : nil
    }
}
