/// Istio's `istio-ca-root-cert` ConfigMap (key `root-cert.pem`) in every namespace: the roots
/// workloads trust, published by the control plane rather than stored, so it always shows the CA
/// of this run. A ConfigMap of that name a user applied is left as it is.
struct PublishedRootCertificate: Sendable {
    static let name = "istio-ca-root-cert"
    let bundlePEM: String

    /// The published ConfigMaps an API listing of `kind`/`namespace`/`name` includes, as listing items.
    func items(in snapshot: MeshSnapshot, kind: String?, namespace: String?, name: String?) -> [[String: Any]] {
        guard kind == nil || kind == "ConfigMap", name == nil || name == Self.name else { return [] }
        var namespaces: Set<String> = ["default"]
        for stored in snapshot.all {
            if stored.key.kind == "Namespace" { namespaces.insert(stored.key.name) }
            if !stored.key.namespace.isEmpty { namespaces.insert(stored.key.namespace) }
        }
        if let namespace { namespaces = namespaces.contains(namespace) ? [namespace] : [] }
        return namespaces.sorted().compactMap { namespace in
            let key = ResourceKey(group: "", kind: "ConfigMap", namespace: namespace, name: Self.name)
            guard snapshot.resources[key] == nil else { return nil }
            let object: [String: Any] = [
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": ["name": Self.name, "namespace": namespace, "labels": ["istio.io/config": "true"], "resourceVersion": String(snapshot.revision)],
                "data": ["root-cert.pem": bundlePEM],
            ]
            return ["resourceVersion": snapshot.revision, "key": key.description, "object": object, "analysis": [Any]()]
        }
    }
}
