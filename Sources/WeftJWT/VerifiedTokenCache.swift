import Synchronization
import WeftModel

/// Tokens that verified, so a client that sends the same token with every request costs one
/// signature check, not one per request (Envoy's `jwt_cache_config`, 100 entries by default).
/// Belongs to one authenticator, so a new key set or rule (a new configuration) starts empty.
/// A hit still checks `exp` and `nbf` against the clock; failures are not kept, and neither are
/// tokens longer than `maxTokenBytes`, so the cache stays small whatever clients send.
final class VerifiedTokenCache: Sendable {
    struct Entry: Sendable {
        var attributes: RequestAuthAttributes
        var payloadSegment: Substring
        var rule: JWTRuleConfig
        var expiry: Double?
        var notBefore: Double?
    }

    static let capacity = 100
    static let maxTokenBytes = 8 * 1024

    private let entries = Mutex<[Substring: Entry]>([:])

    func lookup(_ token: Substring) -> Entry? {
        guard token.utf8.count <= Self.maxTokenBytes else { return nil }
        return entries.withLock { $0[token] }
    }

    func store(_ token: Substring, _ entry: Entry) {
        guard token.utf8.count <= Self.maxTokenBytes else { return }
        entries.withLock { entries in
            // Full: one entry makes room (a cache, not a record; the next use verifies again).
            if entries.count >= Self.capacity, let victim = entries.keys.first { entries.removeValue(forKey: victim) }
            // A copy of the token, so the entry does not keep the request's whole header alive.
            entries[Substring(String(token))] = entry
        }
    }

    var count: Int { entries.withLock { $0.count } }

    func remove(_ token: Substring) {
        _ = entries.withLock { $0.removeValue(forKey: token) }
    }
}
