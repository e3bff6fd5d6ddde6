import Foundation
import WeftAPI

/// A stored resource this build can no longer decode (a field or kind it does not know): kept on
/// disk exactly as it was, reported, and replaced only by an apply or delete of the same key.
public struct UnreadableResource: Sendable {
    public var key: ResourceKey
    public var resourceVersion: Int64
    /// The stored JSON, unchanged: what is written back on every save.
    public var json: String
    /// Why it does not decode (the loader's first errors).
    public var reason: String

    /// Reads what can be read of a stored entry that failed to decode: its key from the JSON's
    /// `apiVersion`, `kind` and `metadata`, or a placeholder naming its position in the store.
    init(entry: StoreContents.Entry, index: Int, reason: String) {
        let object = (try? JSONSerialization.jsonObject(with: Data(entry.json.utf8))) as? [String: Any] ?? [:]
        let apiVersion = object["apiVersion"] as? String ?? ""
        let group = apiVersion.contains("/") ? String(apiVersion.split(separator: "/")[0]) : ""
        let metadata = object["metadata"] as? [String: Any] ?? [:]
        let kind = object["kind"] as? String ?? "Unknown"
        let name = metadata["name"] as? String ?? "store-entry-\(index)"
        var namespace = metadata["namespace"] as? String ?? ""
        if namespace.isEmpty, let type = ResourceRegistry.type(named: kind), type.resourceType.namespaced { namespace = "default" }
        self.key = ResourceKey(group: group, kind: kind, namespace: namespace, name: name)
        self.resourceVersion = entry.resourceVersion
        self.json = entry.json
        self.reason = reason
    }

    var entry: StoreContents.Entry { .init(resourceVersion: resourceVersion, json: json) }
}
