/// Everything the control plane sends one proxy, at one version.
public struct ProxyConfiguration: Sendable, Hashable, Codable {
    public var version: String
    public var listeners: [ListenerConfig]
    public var routeTables: [RouteTable]
    public var clusters: [ClusterConfig]
    public var endpoints: [EndpointGroup]

    public init(version: String, listeners: [ListenerConfig] = [], routeTables: [RouteTable], clusters: [ClusterConfig], endpoints: [EndpointGroup]) {
        self.version = version
        self.listeners = listeners
        self.routeTables = routeTables
        self.clusters = clusters
        self.endpoints = endpoints
    }

    public static let empty = ProxyConfiguration(version: "", routeTables: [], clusters: [], endpoints: [])
}
