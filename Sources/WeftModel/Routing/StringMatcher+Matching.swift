import Foundation
import Synchronization

extension StringMatcher {
    /// Whether `value` (nil when absent) satisfies this matcher; an absent value matches nothing.
    public func matches(_ candidate: String?) -> Bool {
        guard let candidate else { return false }
        switch kind {
        case .present: return true
        case .exact: return ignoreCase ? candidate.lowercased() == value.lowercased() : candidate == value
        case .prefix: return ignoreCase ? candidate.lowercased().hasPrefix(value.lowercased()) : candidate.hasPrefix(value)
        case .regex: return RegexCache.shared.fullMatch(value, candidate, ignoreCase: ignoreCase)
        }
    }
}

/// Compiled regexes shared by every request; patterns were validated (RE2 subset) at apply time.
final class RegexCache: Sendable {
    static let shared = RegexCache()
    private let compiled = Mutex<[String: NSRegularExpression]>([:])

    /// A pattern compiled once, unanchored (for rewrites).
    func unanchored(_ pattern: String) -> NSRegularExpression? {
        compiled.withLock { cache in
            let key = "r:" + pattern
            if let existing = cache[key] { return existing }
            let made = try? NSRegularExpression(pattern: pattern)
            if let made, cache.count < 10_000 { cache[key] = made }
            return made
        }
    }

    /// Envoy's safe_regex matches the whole string.
    func fullMatch(_ pattern: String, _ text: String, ignoreCase: Bool) -> Bool {
        let key = (ignoreCase ? "i:" : "s:") + pattern
        let regex: NSRegularExpression? = compiled.withLock { cache in
            if let existing = cache[key] { return existing }
            let made = try? NSRegularExpression(pattern: "^(?:\(pattern))$", options: ignoreCase ? [.caseInsensitive] : [])
            if let made, cache.count < 10_000 { cache[key] = made }
            return made
        }
        guard let regex else { return false }
        let range = NSRange(text.startIndex..<text.endIndex, in: text)
        return regex.firstMatch(in: text, options: [], range: range) != nil
    }
}
