import Foundation
import WeftModel

/// RequestAuthentication for one workload port, with Envoy's jwt_authn semantics as Istio
/// configures it: every token found in a rule's locations must verify against the rule of its
/// issuer; a request without a token passes unauthenticated (a policy may still require one).
/// Key sets are parsed once, when the configuration is installed; requests only verify.
public struct JWTAuthenticator: Sendable {
    /// Envoy's default clock skew for `exp` and `nbf`.
    public static let clockSkewSeconds: Double = 60
    /// Claims Istio always reads as space-delimited lists.
    static let alwaysSpaceDelimited: Set<String> = ["scope", "permission"]

    /// One rule and its parsed keys (nil: none usable, so every token of its issuer fails).
    struct Provider: Sendable {
        var rule: JWTRuleConfig
        var keys: JSONWebKeySet?
        var keyProblem: String?
        var spaceDelimited: Set<String>
    }

    /// What authentication decided.
    public enum Outcome: Sendable {
        /// No location carried a token.
        case noToken
        /// Every token verified: what they say, and the upstream header edits (the token removed,
        /// payload and claims copied to headers).
        case verified(RequestAuthAttributes, HeaderEdits)
        case refused(JWTFailure)
    }

    let providers: [Provider]
    /// Tokens already verified against these providers.
    let cache = VerifiedTokenCache()

    public init(rules: [JWTRuleConfig]) {
        providers = rules.map { rule in
            var keys: JSONWebKeySet?
            var problem: String?
            if rule.jwks.isEmpty { problem = "no JWKS fetched yet" } else {
                do throws(JWKSError) { keys = try JSONWebKeySet(json: rule.jwks) } catch { problem = error.message }
            }
            return Provider(rule: rule, keys: keys, keyProblem: problem, spaceDelimited: Self.alwaysSpaceDelimited.union(rule.spaceDelimitedClaims))
        }
    }

    public var isEmpty: Bool { providers.isEmpty }

    /// How many verified tokens are remembered (tests and the admin page).
    public var cachedTokens: Int { cache.count }

    /// Rules whose key set could not be used, and why (for the admin page and `weft analyze`).
    public var keyProblems: [(issuer: String, problem: String)] { providers.compactMap { p in p.keyProblem.map { (p.rule.issuer, $0) } } }

    /// Authenticates a request: finds the tokens in every rule's locations and verifies each.
    public func authenticate(_ attributes: RequestAttributes, now: Double = Date().timeIntervalSince1970) -> Outcome {
        var found: [(token: Substring, header: String?)] = []
        for provider in providers {
            for location in provider.rule.headerLocations {
                for value in attributes.headers.values(name: location.name) {
                    guard value.hasPrefix(location.prefix) else { continue }
                    let token = Self.trimmed(value.dropFirst(location.prefix.count))
                    if !token.isEmpty, !found.contains(where: { $0.token == token }) { found.append((Substring(token), location.name.lowercased())) }
                }
            }
            for name in provider.rule.paramLocations {
                if let token = attributes.queryParameter(name), !token.isEmpty, !found.contains(where: { $0.token == token }) { found.append((Substring(token), nil)) }
            }
            for name in provider.rule.fromCookies {
                if let token = Self.cookie(name, attributes), !token.isEmpty, !found.contains(where: { $0.token == token }) { found.append((Substring(token), nil)) }
            }
        }
        guard !found.isEmpty else { return .noToken }
        var authenticated: RequestAuthAttributes?
        var edits = HeaderEdits()
        for (token, header) in found {
            switch verifyCached(token, now: now) {
            case .failure(let failure): return .refused(failure)
            case .success(let entry):
                let (attributes, rule) = (entry.attributes, entry.rule)
                if authenticated == nil { authenticated = attributes }
                if let header, !rule.forwardOriginalToken, !edits.requestRemove.contains(header) { edits.requestRemove.append(header) }
                if !rule.outputPayloadToHeader.isEmpty { edits.requestSet[rule.outputPayloadToHeader] = String(entry.payloadSegment) }
                for output in rule.outputClaimToHeaders {
                    let values = attributes.claimValues(RequestAuthAttributes.claimPath(Substring(output.claim)))
                    let value = values.joined(separator: ",")
                    // A claim is the token issuer's text: one a header cannot carry (a control character) is not copied.
                    if !values.isEmpty, Self.canBeHeaderValue(value) { edits.requestSet[output.header] = value }
                }
            }
        }
        guard let authenticated else { return .noToken }
        return .verified(authenticated, edits)
    }

    /// Whether `value` can be sent as a header value: no control character but a tab.
    static func canBeHeaderValue(_ value: String) -> Bool {
        value.utf8.allSatisfy { $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }
    }

    /// `verify`, remembered: a token seen before is only checked against the clock again.
    func verifyCached(_ token: Substring, now: Double) -> Result<VerifiedTokenCache.Entry, JWTFailure> {
        if let entry = cache.lookup(token) {
            if let expiry = entry.expiry, now > expiry + Self.clockSkewSeconds {
                cache.remove(token)
                return .failure(.expired)
            }
            if let notBefore = entry.notBefore, now + Self.clockSkewSeconds < notBefore { return .failure(.notYetValid) }
            return .success(entry)
        }
        switch verify(token, now: now) {
        case .failure(let failure): return .failure(failure)
        case .success(let (attributes, jwt, rule)):
            let entry = VerifiedTokenCache.Entry(attributes: attributes, payloadSegment: Substring(String(jwt.payloadSegment)), rule: rule,
                                                 expiry: jwt.time("exp"), notBefore: jwt.time("nbf"))
            cache.store(token, entry)
            return .success(entry)
        }
    }

    /// Verifies one token against the rule of its issuer: format, issuer, audience, time, then signature.
    public func verify(_ token: Substring, now: Double = Date().timeIntervalSince1970) -> Result<(RequestAuthAttributes, JSONWebToken, JWTRuleConfig), JWTFailure> {
        let jwt: JSONWebToken
        do { jwt = try JSONWebToken(compact: token) } catch { return .failure(error) }
        guard let issuer = jwt.issuer, let provider = providers.first(where: { $0.rule.issuer == issuer }) else { return .failure(.unknownIssuer) }
        if !provider.rule.audiences.isEmpty, !jwt.audiences.contains(where: provider.rule.audiences.contains) { return .failure(.audienceNotAllowed) }
        if let expiry = jwt.time("exp"), now > expiry + Self.clockSkewSeconds { return .failure(.expired) }
        if let notBefore = jwt.time("nbf"), now + Self.clockSkewSeconds < notBefore { return .failure(.notYetValid) }
        guard let keys = provider.keys else { return .failure(.noMatchingKey) }
        switch JWTSignature.check(jwt, against: keys) {
        case .noMatchingKey: return .failure(.noMatchingKey)
        case .invalid: return .failure(.verificationFailed)
        case .valid: break
        }
        let principal = "\(issuer)/\(jwt.subject ?? "")"
        let attributes = RequestAuthAttributes(principal: principal, audiences: jwt.audiences, presenter: jwt.presenter, claims: jwt.claims,
                                               spaceDelimitedClaims: provider.spaceDelimited)
        return .success((attributes, jwt, provider.rule))
    }

    /// Without surrounding spaces and tabs, as a view: Foundation's trimming copies through
    /// NSString, which cost more than a cached token's whole check.
    static func trimmed(_ text: Substring) -> Substring {
        var view = text
        while let first = view.utf8.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") { view = view.dropFirst() }
        while let last = view.utf8.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { view = view.dropLast() }
        return view
    }

    /// A cookie's value from the request's `cookie` headers.
    static func cookie(_ name: String, _ attributes: RequestAttributes) -> String? {
        for cookieHeader in attributes.headers.values(name: "cookie") {
            for pair in cookieHeader.split(separator: ";") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                if kv.count == 2, Self.trimmed(kv[0]) == name { return String(Self.trimmed(kv[1])) }
            }
        }
        return nil
    }
}
