import WeftModel

/// What the previous request on a connection found by name, kept by the connection while its
/// configuration lasts: a client sends request after request for the same host and cluster, and a
/// comparison with the last names (the cluster's is the same String, compared by identity) costs
/// less than hashing them again (~500 instructions each a request). The index and configuration
/// are held, not identified by address: a freed one's address may be the next one's.
public struct LookupHints: Sendable {
    /// SelectRoute's: the host and port of a request, and the virtual host that answered them in `index`.
    var virtualHost: (index: VirtualHostIndex, host: String, port: Int, position: Int?)?
    /// PickEndpoint's: a cluster name and what the configuration (`configuration`) has for it.
    var cluster: (configuration: ActiveConfiguration, name: String, found: ClusterTable.Found)?

    public init() {}
}
