import WeftModel

/// What a request's connection gives its context, the same for every request on it: made once a
/// connection (again when the configuration changes), so a request's context holds one reference
/// to it where it held a copy of each field (a retain and a release of each, a request).
public final class RequestConnection: Sendable {
    public let configuration: ActiveConfiguration
    /// The route table this listener routes with (`outbound`, `http.8080`), or nil for inbound.
    public let routeTable: String?
    /// That table's index when the caller looked it up already; nil: SelectRoute looks it up by name.
    public let routeIndex: VirtualHostIndex?
    /// The connection's previous lookups, which SelectRoute and PickEndpoint reuse and update (nil: none kept).
    public let hints: LookupHints?
    /// The requests come as HTTP/2 streams (a cluster with `useClientProtocol` goes upstream the same way).
    public let downstreamHTTP2: Bool
    /// The downstream peer's IP address.
    public let sourceAddress: String?
    /// The downstream peer's principal once mutual TLS proved one: its SPIFFE id without
    /// `spiffe://` (`cluster.local/ns/foo/sa/sleep`), as AuthorizationPolicy names principals.
    public let peerPrincipal: String?
    /// Inbound: the port and address the requests arrived on (the workload's container port).
    public let localPort: Int?
    public let localAddress: String?
    /// A captured connection's original destination (transparent mode): where an unknown host passes through to.
    public let originalDestination: CaptureTable.Destination?
    /// A gateway's trusted proxies in front of it (`gatewayTopology.numTrustedProxies`); 0 elsewhere.
    public let trustedProxies: Int

    public init(configuration: ActiveConfiguration, routeTable: String?, routeIndex: VirtualHostIndex? = nil, hints: LookupHints? = nil,
                downstreamHTTP2: Bool = false, sourceAddress: String? = nil, peerPrincipal: String? = nil,
                originalDestination: CaptureTable.Destination? = nil, localPort: Int? = nil, localAddress: String? = nil, trustedProxies: Int = 0) {
        self.configuration = configuration
        self.routeTable = routeTable
        self.routeIndex = routeIndex
        self.hints = hints
        self.downstreamHTTP2 = downstreamHTTP2
        self.sourceAddress = sourceAddress
        self.peerPrincipal = peerPrincipal
        self.originalDestination = originalDestination
        self.localPort = localPort
        self.localAddress = localAddress
        self.trustedProxies = trustedProxies
    }
}
