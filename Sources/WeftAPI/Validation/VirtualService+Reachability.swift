import Foundation

/// A route rule or match no request can reach, as Istio's validation reports it
/// (`VirtualServiceUnreachableRule` / `VirtualServiceIneffectiveMatch`).
public enum RouteReachabilityFinding: Sendable, Hashable {
    /// A whole rule is never used: (rule, reason).
    case unreachableRule(rule: String, reason: String)
    /// One match of a rule is never used: (rule, match, the earlier rule that takes its requests).
    case ineffectiveMatch(rule: String, match: String, earlier: String)

    public var text: String {
        switch self {
        case .unreachableRule(let rule, let reason): return "VirtualService rule \(rule) not used (\(reason))."
        case .ineffectiveMatch(let rule, let match, let earlier): return "VirtualService rule \(rule) match \(match) is not used (duplicate/overlapping match in rule \(earlier))."
        }
    }
}

extension VirtualServiceSpec {
    /// Rules and matches shadowed by earlier ones: duplicates, a catch-all before the last rule,
    /// and prefix matches covered by a shorter prefix with the same other conditions.
    public func reachabilityFindings() -> [RouteReachabilityFinding] {
        var findings: [RouteReachabilityFinding] = []
        findings += Self.httpFindings(http ?? [])
        findings += Self.l4Findings((tcp ?? []).map { ($0.match ?? []).map(Self.canonical) })
        findings += Self.l4Findings((tls ?? []).map { ($0.match ?? []).map(Self.canonical) })
        return findings
    }

    private static func routeName(_ route: HTTPRoute, _ index: Int) -> String {
        if let name = route.name, !name.isEmpty { return "\"\(name)\"" }
        return "#\(index)"
    }

    private static func matchName(_ match: HTTPMatchRequest, _ index: Int) -> String {
        if let name = match.name, !name.isEmpty { return "\"\(name)\"" }
        return "#\(index)"
    }

    static func canonical<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    private static func httpFindings(_ routes: [HTTPRoute]) -> [RouteReachabilityFinding] {
        var findings: [RouteReachabilityFinding] = []
        var seen: [String: Int] = [:]
        var catchAll = -1
        var prefixMatches: [PrefixMatch] = []
        for (ruleIndex, route) in routes.enumerated() {
            let matches = route.match ?? []
            if matches.isEmpty {
                if catchAll >= 0 { findings.append(.unreachableRule(rule: routeName(route, ruleIndex), reason: "only the last rule can have no matches")) }
                catchAll = ruleIndex
                continue
            }
            var duplicates = 0
            for (matchIndex, match) in matches.enumerated() {
                var unnamed = match
                unnamed.name = nil
                let key = canonical(unnamed)
                if let earlier = seen[key] {
                    findings.append(.ineffectiveMatch(rule: routeName(route, ruleIndex), match: matchName(match, matchIndex), earlier: routeName(routes[earlier], earlier)))
                    duplicates += 1
                    continue
                }
                seen[key] = ruleIndex
                if let prefix = PrefixMatch(match, route: routeName(route, ruleIndex), match: matchName(match, matchIndex)) {
                    prefixMatches.append(prefix)
                }
            }
            if duplicates == matches.count {
                findings.append(.unreachableRule(rule: routeName(route, ruleIndex), reason: "all matches used by prior rules"))
            }
        }
        for (index, earlier) in prefixMatches.enumerated() {
            for later in prefixMatches[(index + 1)...] where later.prefix != earlier.prefix && earlier.covers(later) {
                findings.append(.ineffectiveMatch(rule: later.route, match: "\(later.match) of prefix \(later.prefix)", earlier: "\(earlier.match) of prefix \(earlier.prefix) on \(earlier.route)"))
            }
        }
        return findings
    }

    private static func l4Findings(_ rules: [[String]]) -> [RouteReachabilityFinding] {
        var findings: [RouteReachabilityFinding] = []
        var seen: [String: Int] = [:]
        var catchAll = -1
        for (ruleIndex, matches) in rules.enumerated() {
            if matches.isEmpty {
                if catchAll >= 0 { findings.append(.unreachableRule(rule: "#\(ruleIndex)", reason: "only the last rule can have no matches")) }
                catchAll = ruleIndex
                continue
            }
            var duplicates = 0
            for (matchIndex, key) in matches.enumerated() {
                if let earlier = seen[key] {
                    findings.append(.ineffectiveMatch(rule: "#\(ruleIndex)", match: "#\(matchIndex)", earlier: "#\(earlier)"))
                    duplicates += 1
                } else {
                    seen[key] = ruleIndex
                }
            }
            if duplicates == matches.count { findings.append(.unreachableRule(rule: "#\(ruleIndex)", reason: "all matches used by prior rules")) }
        }
        return findings
    }
}

/// A URI prefix match with the other conditions that decide whether an earlier one covers it.
private struct PrefixMatch {
    var route: String
    var match: String
    var prefix: String
    var port: Int
    var method: String
    var authority: String
    var headers: [String: String]
    var queryParams: [String: String]
    var withoutHeaders: [String: String]

    init?(_ request: HTTPMatchRequest, route: String, match: String) {
        guard let prefix = request.uri?.prefix, !prefix.isEmpty else { return nil }
        func describe(_ match: StringMatch?) -> String {
            if let exact = match?.exact, !exact.isEmpty { return "exact:" + exact }
            if let prefix = match?.prefix, !prefix.isEmpty { return "prefix:" + prefix }
            return ""
        }
        self.route = route
        self.match = match
        self.prefix = prefix
        self.port = request.port ?? 0
        let method = describe(request.method)
        self.method = method.isEmpty ? "exact:GET" : method
        self.authority = describe(request.authority)
        self.headers = (request.headers ?? [:]).mapValues(describe)
        self.queryParams = (request.queryParams ?? [:]).mapValues(describe)
        self.withoutHeaders = (request.withoutHeaders ?? [:]).mapValues(describe)
    }

    /// Istio's `coveredValidation`: every request `later` matches is taken by `self` first.
    func covers(_ later: PrefixMatch) -> Bool {
        guard later.prefix.hasPrefix(prefix), later.port == port else { return false }
        if method != later.method && !method.hasPrefix(later.method) { return false }
        if authority != later.authority && !authority.hasPrefix(later.authority) { return false }
        for (mine, theirs) in [(headers, later.headers), (queryParams, later.queryParams), (withoutHeaders, later.withoutHeaders)] {
            guard mine.count == theirs.count else { return false }
            for (key, value) in mine {
                guard let other = theirs[key] else { return false }
                if value != other && !value.hasPrefix(other) { return false }
            }
        }
        return true
    }
}
