/// A workload identity as Istio writes it: `spiffe://<trust domain>/ns/<namespace>/sa/<service account>`.
public struct SPIFFEIdentity: Sendable, Hashable, CustomStringConvertible {
    public var trustDomain: String
    public var namespace: String
    public var serviceAccount: String

    public init(trustDomain: String, namespace: String, serviceAccount: String) {
        self.trustDomain = trustDomain
        self.namespace = namespace
        self.serviceAccount = serviceAccount
    }

    /// Parses Istio's form; nil for any other URI.
    public init?(uri: String) {
        let prefix = "spiffe://"
        guard uri.hasPrefix(prefix) else { return nil }
        let parts = uri.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[1] == "ns", parts[3] == "sa", !parts[0].isEmpty, !parts[2].isEmpty, !parts[4].isEmpty else { return nil }
        self.init(trustDomain: String(parts[0]), namespace: String(parts[2]), serviceAccount: String(parts[4]))
    }

    public var uri: String { "spiffe://\(trustDomain)/ns/\(namespace)/sa/\(serviceAccount)" }
    public var description: String { uri }
}
