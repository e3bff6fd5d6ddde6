import Foundation
import WeftDiscovery

/// What each connected proxy was sent, per resource type, and what it answered: the last payloads
/// (to skip a push that would change nothing), the nonce an answer must carry, the version sent,
/// the version acknowledged and the reason of a rejection. `proxy-status` reads it.
struct PushLedger: Sendable {
    /// One resource as pushed, compared whole: `Data`'s hash reads only a prefix of the bytes, so two
    /// payloads of one length that differ late (a subset name) would hash alike.
    typealias SentResource = DiscoveryTypes.WireResource

    private struct Entry: Sendable {
        var sent: [SentResource] = []
        var nonce = ""
        var status = ProxyHub.TypeStatus(sent: "", acked: "", nack: nil)
    }

    private var entries: [Int: [String: Entry]] = [:]
    private var nextNonce = 0

    /// Records a push of `resources` at `version` and returns its nonce; nil when the proxy was
    /// last sent exactly these resources of this type (nothing to push).
    mutating func push(proxy: Int, typeURL: String, version: String, resources: [SentResource]) -> String? {
        var entry = entries[proxy]?[typeURL] ?? Entry()
        if entry.status.sent != "" && entry.sent == resources { return nil }
        nextNonce += 1
        entry.sent = resources
        entry.nonce = String(nextNonce)
        entry.status.sent = version
        entries[proxy, default: [:]][typeURL] = entry
        return entry.nonce
    }

    /// An ACK (no error) or NACK; ignored unless it answers the latest push of the type. True when recorded.
    @discardableResult
    mutating func answer(proxy: Int, typeURL: String, version: String, nonce: String, error: String?) -> Bool {
        guard !nonce.isEmpty, var entry = entries[proxy]?[typeURL], entry.nonce == nonce else { return false }
        if let error {
            entry.status.nack = error
        } else {
            entry.status.acked = version
            entry.status.nack = nil
        }
        entries[proxy]?[typeURL] = entry
        return true
    }

    /// Per type: sent, acknowledged, rejected.
    func types(of proxy: Int) -> [String: ProxyHub.TypeStatus] {
        (entries[proxy] ?? [:]).mapValues(\.status)
    }

    /// NACKED when any type was rejected, SYNCED when every type sent was acknowledged, else STALE.
    func state(of proxy: Int) -> String {
        let types = self.types(of: proxy)
        if types.values.contains(where: { $0.nack != nil }) { return "NACKED" }
        if !types.isEmpty && types.values.allSatisfy({ $0.sent == $0.acked }) { return "SYNCED" }
        return "STALE"
    }

    mutating func forget(proxy: Int) { entries[proxy] = nil }
}
