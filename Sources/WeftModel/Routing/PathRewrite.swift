import Foundation

extension RoutePolicy.Rewrite {
    /// The path (with its query) to forward, as Envoy rewrites it for Istio: `uri` replaces the
    /// prefix the route matched (the whole path for an exact or regex match; a route without a uri
    /// match matched the prefix "/"); `uriRegexRewrite` replaces every match of its regex, `\1`
    /// naming a group. Nil when the path stays as it is.
    public func path(_ request: RequestAttributes, matchedURI: StringMatcher?) -> String? {
        let query = request.query.isEmpty ? "" : "?" + request.query
        if let pattern = regexMatch, let replacement = regexReplacement {
            return RegexCache.shared.replaceAll(pattern, in: request.path, with: replacement) + query
        }
        guard let uriPrefix else { return nil }
        let path = request.path
        switch matchedURI?.kind {
        case .prefix?:
            let prefix = matchedURI?.value ?? ""
            return uriPrefix + String(path.dropFirst(min(prefix.count, path.count))) + query
        case .exact?, .regex?:
            return uriPrefix + query
        case .present?, nil:
            return uriPrefix + String(path.dropFirst(path.hasPrefix("/") ? 1 : 0)) + query
        }
    }
}

extension RegexCache {
    /// Envoy's regex_rewrite: every match replaced; `\N` in the substitution is group N.
    func replaceAll(_ pattern: String, in text: String, with substitution: String) -> String {
        guard let regex = unanchored(pattern) else { return text }
        var template = ""
        var escaped = false
        for character in substitution {
            if escaped {
                template += character.isNumber ? "$\(character)" : NSRegularExpression.escapedTemplate(for: String(character))
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else {
                template += NSRegularExpression.escapedTemplate(for: String(character))
            }
        }
        return regex.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..<text.endIndex, in: text), withTemplate: template)
    }
}
