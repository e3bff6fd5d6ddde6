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
    // SelectRoute's: the host and port of a request, and the virtual host that answered them in `hostIndex`.
    private var hostIndex: VirtualHostIndex?
    private var host = ""
    private var port = 0
    private var hostPosition: Int?
    // The request's authority as sent, and its host and port (`RequestAttributes.split`).
    private var authority = ""
    private var authorityDefaultPort = 0
    private var authorityParts = ("", 0)
    // PickEndpoint's: a cluster name and what `clusterConfiguration` has for it.
    private var clusterConfiguration: ActiveConfiguration?
    private var clusterName = ""
    private var clusterFound = ClusterTable.Found(cluster: nil, endpoints: [], serverName: nil)
    // PickEndpoint's: the upstream each endpoint of one cluster was given (by its position in the
    // cluster's list, round robin going through them), and what they were made under.
    private var upstreamConfiguration: ActiveConfiguration?
    private var upstreamCluster = ""
    private var upstreamEdits: HeaderEdits?
    private var upstreamHTTP2 = false
    private var upstreams: [RequestDecision.Upstream?] = []
    // The inbound listener's: the upstream to the app, and what it was made under.
    private var inboundConfiguration: ActiveConfiguration?
    private var inboundPort = 0
    private var inboundUpstream: RequestDecision.Upstream?
    /// Endpoints past this position get no kept decision (a connection's hints stay small).
    static let keptUpstreams = 64

    public init() {}

    /// Where the virtual host of `request` is in `index` (`VirtualHostIndex.position(for:)`): the last
    /// answer for the same index, host and port, else looked up and kept.
    func virtualHostPosition(in index: VirtualHostIndex, for request: RequestAttributes) -> Int? {
        if hostIndex === index, port == request.port, host == request.host { return hostPosition }
        let position = index.position(for: request)
        hostIndex = index
        host = request.host
        port = request.port
        hostPosition = position
        return position
    }

    /// The last authority `split` was asked for ("" before any): a Host field with its bytes is taken as this String again.
    var lastAuthority: String { authority }

    /// `RequestAttributes.split(authority:defaultPort:)`: the last answer for the same authority,
    /// else split and kept (a client names the same authority request after request; comparing it
    /// costs less than splitting it, lower-casing the host and making a String of it again).
    public func split(authority: String, defaultPort: Int) -> (String, Int) {
        if authorityDefaultPort == defaultPort, self.authority == authority { return authorityParts }
        authorityParts = RequestAttributes.split(authority: authority, defaultPort: defaultPort)
        self.authority = authority
        authorityDefaultPort = defaultPort
        return authorityParts
    }

    /// What `configuration` has for the cluster `name`: the last answer for the same configuration
    /// and name, else looked up and kept.
    func cluster(named name: String, in configuration: ActiveConfiguration) -> ClusterTable.Found {
        if clusterConfiguration === configuration, clusterName == name { return clusterFound }
        let found = configuration.clusters.lookup(name)
        clusterConfiguration = configuration
        clusterName = name
        clusterFound = found
        return found
    }

    /// The upstream made for an earlier request on this connection to the same endpoint (its
    /// position in the cluster's list) of the same cluster under the same configuration, with the
    /// same header edits; nil when there is none. Shared, not copied: the decision is
    /// copy-on-write, so an exchange that changes its own leaves this one as it was.
    func upstream(configuration: ActiveConfiguration, cluster: String, position: Int, edits: HeaderEdits?, http2: Bool) -> RequestDecision.Upstream? {
        guard position < upstreams.count, upstreamConfiguration === configuration, upstreamHTTP2 == http2,
              upstreamCluster == cluster, upstreamEdits == edits else { return nil }
        return upstreams[position]
    }

    /// Keeps `upstream` for the next request that asks `upstream(configuration:cluster:position:edits:http2:)`
    /// the same; what was kept under other names is let go.
    func keep(_ upstream: RequestDecision.Upstream?, configuration: ActiveConfiguration, cluster: String, position: Int, endpointCount: Int,
              edits: HeaderEdits?, http2: Bool) {
        guard position < Self.keptUpstreams else { return }
        if !(upstreamConfiguration === configuration && upstreamHTTP2 == http2 && upstreamCluster == cluster && upstreamEdits == edits) {
            upstreamConfiguration = configuration
            upstreamCluster = cluster
            upstreamEdits = edits
            upstreamHTTP2 = http2
            upstreams = []
        }
        if upstreams.count <= position {
            upstreams.append(contentsOf: repeatElement(nil, count: Swift.min(Swift.max(endpointCount, position + 1), Self.keptUpstreams) - upstreams.count))
        }
        upstreams[position] = upstream
    }

    /// The upstream to the app an earlier request on this connection was given under the same
    /// configuration (shared, copy-on-write as `upstream(configuration:...)`'s); nil when there is none.
    func inbound(configuration: ActiveConfiguration, port: Int) -> RequestDecision.Upstream? {
        guard inboundConfiguration === configuration, inboundPort == port else { return nil }
        return inboundUpstream
    }

    /// Keeps the upstream to the app for the next request that asks `inbound(configuration:port:)` the same.
    func keepInbound(_ upstream: RequestDecision.Upstream, configuration: ActiveConfiguration, port: Int) {
        inboundConfiguration = configuration
        inboundPort = port
        inboundUpstream = upstream
    }
}
