import WeftModel

/// What the previous request on a connection found by name, kept by the connection while its
/// configuration lasts: a client sends request after request for the same host and cluster, and a
/// comparison with the last names (the cluster's is the same String, compared by identity) costs
/// less than hashing them again (~500 instructions each a request). The index and configuration
/// are held, not identified by address: a freed one's address may be the next one's.
/// An object the connection keeps and each request's context points to: as a value it was copied
/// into every context and back out (~50 retains and releases a request).
// @unchecked: mutable, and used only on the event loop of the connection that made it, one request at a time.
public final class LookupHints: @unchecked Sendable {
    /// SelectRoute's: the host and port of a request, and the virtual host that answered them in `hostIndex`.
    var hostIndex: VirtualHostIndex?
    var host = ""
    var port = 0
    var hostPosition: Int?
    /// PickEndpoint's: a cluster name and what `clusterConfiguration` has for it.
    var clusterConfiguration: ActiveConfiguration?
    var clusterName = ""
    var clusterFound = ClusterTable.Found(cluster: nil, endpoints: [], serverName: nil)

    public init() {}
}
