import Foundation

/// Checks that a pattern is a regular expression RE2 (Envoy's engine) accepts. It compiles the
/// pattern with ICU for the general syntax and rejects the constructs ICU has and RE2 does not
/// (lookaround, backreferences, possessive quantifiers, atomic groups), as Istio's webhook would.
public enum RE2Syntax {
    /// Envoy's default program size limit is approximated, as Istio does, by length.
    public static let maximumLength = 1024

    public static func problem(in pattern: String) -> String? {
        if pattern.utf8.count > maximumLength {
            return "regex is too large, max length allowed is \(maximumLength)"
        }
        if let construct = unsupportedConstruct(in: pattern) {
            return "invalid regex \"\(pattern)\": \(construct) is not supported by RE2; Istio uses RE2 syntax (https://github.com/google/re2/wiki/Syntax)"
        }
        do {
            _ = try NSRegularExpression(pattern: pattern)
        } catch {
            return "invalid regex \"\(pattern)\": it does not compile; Istio uses RE2 syntax (https://github.com/google/re2/wiki/Syntax)"
        }
        return nil
    }

    private static func unsupportedConstruct(in pattern: String) -> String? {
        let chars = Array(pattern)
        var index = 0
        var inClass = false
        while index < chars.count {
            let char = chars[index]
            if char == "\\" {
                guard index + 1 < chars.count else { return "a trailing backslash" }
                let next = chars[index + 1]
                if !inClass, next.isNumber, next != "0" { return "a backreference (\\\(next))" }
                if !inClass, "kZGX".contains(next) { return "the escape \\\(next)" }
                index += 2
                continue
            }
            if inClass {
                if char == "]" { inClass = false }
            } else if char == "[" {
                inClass = true
                if index + 1 < chars.count, chars[index + 1] == "]" { index += 1 }
                if index + 2 < chars.count, chars[index + 1] == "^", chars[index + 2] == "]" { index += 2 }
            } else if char == "(", index + 2 < chars.count, chars[index + 1] == "?" {
                let kind = chars[index + 2]
                if kind == "=" || kind == "!" { return "a lookahead" }
                if kind == ">" { return "an atomic group" }
                if kind == "<", index + 3 < chars.count, chars[index + 3] == "=" || chars[index + 3] == "!" { return "a lookbehind" }
            } else if "+*?}".contains(char), index + 1 < chars.count, chars[index + 1] == "+" {
                return "a possessive quantifier"
            }
            index += 1
        }
        return nil
    }
}
