/// A port a proxy listens on and what it does with what arrives there. The control plane
/// translates them (a sidecar's outbound and inbound ports, a gateway's servers); routers open
/// exactly these.
public struct ListenerConfig: Sendable, Hashable, Codable {
    /// What a listener is for.
    public enum Direction: String, Sendable, Hashable, Codable {
        /// The app's outbound HTTP proxy (a sidecar's 15001).
        case outbound
        /// A sidecar's inbound port, forwarded to the app.
        case inbound
        /// A gateway server's port.
        case gateway
        /// A Sidecar egress listener's port on the pod IP (captureMode NONE): TCP to
        /// `tcpDestinations`, or HTTP as the outbound proxy.
        case egress
    }

    /// `outbound`, `inbound|9080`, `0.0.0.0_8080` (Istio's gateway listener name).
    public var name: String
    public var port: Int
    public var direction: Direction
    /// HTTP, HTTP2 (inbound, to an app that speaks it), TCP for bytes passed unparsed, TLS (egress,
    /// routed by SNI), or AUTO: not declared, so sniffed (HTTP/1.1, HTTP/2, else TCP).
    public var protocolName: String
    /// The route table requests are routed with (outbound and gateway).
    public var routeTable: String?
    /// Gateway server hosts on this port.
    public var hosts: [String]
    /// Inbound: the app port requests go to.
    public var appPort: Int?
    /// Inbound: what PeerAuthentication lets in on this port.
    public var peerAuthentication: PeerAuthenticationMode = .permissive
    /// Inbound and gateway: the AuthorizationPolicies that apply to the workload.
    public var authorization: [AuthorizationPolicyConfig] = []
    /// Inbound and gateway: the RequestAuthentication jwtRules of the workload (a token of another
    /// issuer, or one that fails, is refused with 401; no token is not an error).
    public var requestAuthentication: [JWTRuleConfig] = []
    /// Where and how each request is logged.
    public var accessLogs: [AccessLogConfig] = []
    /// How requests are traced (nil: not traced).
    public var tracing: TracingConfig?
    /// Changes to Istio's standard metrics (nil: all of them, with Istio's labels).
    public var metrics: MetricsOverridesConfig?
    /// Egress TCP: the clusters a connection goes to, by weight (empty: closed, no route).
    public var tcpDestinations: [WeightedCluster] = []
    /// Egress TLS: where a connection goes by the server name of its ClientHello, first match wins
    /// (a hello without one goes to `tcpDestinations`; a name no route has is closed, no route).
    public var sniRoutes: [SNIRoute] = []
    /// Outbound: VirtualService `tcp` routes for CONNECT tunnels, in order.
    public var tunnelTCPRoutes: [TunnelTCPRoute] = []
    /// AUTO ports: how long the first bytes may take before the connection is TCP (nil: no limit).
    public var protocolDetectionTimeoutMs: Int?
    /// Gateway: each server's TLS on this port, chosen by the ClientHello's server name (empty: plaintext).
    /// Inbound: a Sidecar ingress listener's own `tls`, terminated in place of the mesh's mutual TLS.
    public var serverTLS: [GatewayServerTLS] = []
    /// Egress: the address a Sidecar egress listener binds (`bind`); nil: the pod IP.
    public var bindAddress: String?
    /// Inbound: the Sidecar's `inboundConnectionPool` (or its ingress listener's `connectionPool`)
    /// for the connections to the app; nil: no limits.
    public var appConnectionPool: ConnectionPoolPolicy?

    public init(name: String, port: Int, direction: Direction, protocolName: String = "HTTP", routeTable: String? = nil, hosts: [String] = [], appPort: Int? = nil,
                peerAuthentication: PeerAuthenticationMode = .permissive) {
        self.peerAuthentication = peerAuthentication
        self.name = name
        self.port = port
        self.direction = direction
        self.protocolName = protocolName
        self.routeTable = routeTable
        self.hosts = hosts
        self.appPort = appPort
    }
}

/// A VirtualService `tls` route (or a TLS service's own name) as an egress listener applies it.
public struct SNIRoute: Sendable, Hashable, Codable {
    /// Server names: exact, or `*.example.com` for any name under it.
    public var sniHosts: [String]
    public var destinations: [WeightedCluster]
    /// On the outbound listener (CONNECT tunnels), the destination port the route applies to; nil on an egress listener (its own port).
    public var port: Int?
    /// On the outbound listener: IPv4 blocks the CONNECT address must lie in (`destinationSubnets`); empty: any.
    public var destinationSubnets: [String] = []

    public init(sniHosts: [String], destinations: [WeightedCluster], port: Int? = nil, destinationSubnets: [String] = []) {
        self.sniHosts = sniHosts
        self.destinations = destinations
        self.port = port
        self.destinationSubnets = destinationSubnets
    }

    /// Whether a tunnel to `destination` (its CONNECT host) meets the route's `destinationSubnets`.
    public func admits(destination: String) -> Bool {
        destinationSubnets.isEmpty || destinationSubnets.contains { IPBlock.contains($0, destination) }
    }

    /// Whether `serverName` is one of the route's names (a wildcard matches one label or more).
    public func matches(_ serverName: String) -> Bool {
        sniHosts.contains { host in
            host == "*" || host == serverName || (host.hasPrefix("*.") && serverName.hasSuffix(host.dropFirst()) && serverName.count > host.count - 1)
        }
    }
}

/// A VirtualService `tcp` route as the outbound listener applies it to a `CONNECT host:port`
/// tunnel: on `port`, for an authority among `hosts`, or (with `destinationSubnets`) for an
/// address authority inside one of them.
public struct TunnelTCPRoute: Sendable, Hashable, Codable {
    /// The names the route's VirtualService hosts go by (exact, or `*.example.com`).
    public var hosts: [String]
    public var port: Int
    /// IPv4 blocks (`10.0.0.0/8`, `10.1.2.3`); when given, only an address authority inside one matches.
    public var destinationSubnets: [String]
    public var destinations: [WeightedCluster]

    public init(hosts: [String], port: Int, destinationSubnets: [String] = [], destinations: [WeightedCluster]) {
        self.hosts = hosts
        self.port = port
        self.destinationSubnets = destinationSubnets
        self.destinations = destinations
    }

    /// Whether a tunnel to `host` (lower case, a name or an address) on the route's port takes it.
    public func matches(host: String) -> Bool {
        if !destinationSubnets.isEmpty { return destinationSubnets.contains { IPBlock.contains($0, host) } }
        return hosts.contains { $0 == host || ($0.hasPrefix("*.") && host.hasSuffix($0.dropFirst())) }
    }
}
