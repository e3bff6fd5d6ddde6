import WeftModel

extension Weft_Discovery_V1_Listener {
    public init(_ model: ListenerConfig) {
        self.init()
        name = model.name
        port = Int32(model: model.port)
        switch model.direction {
        case .outbound: direction = .outbound
        case .inbound: direction = .inbound
        case .gateway: direction = .gateway
        case .egress: direction = .egress
        }
        self.protocol = model.protocolName
        routeTable = model.routeTable ?? ""
        hosts = model.hosts
        appPort = Int32(model: model.appPort ?? 0)
        switch model.peerAuthentication {
        case .permissive: peerAuthentication = .permissive
        case .strict: peerAuthentication = .strict
        case .disable: peerAuthentication = .disable
        }
        authorization = model.authorization.map(Weft_Discovery_V1_AuthorizationPolicy.init)
        requestAuthentication = model.requestAuthentication.map(Weft_Discovery_V1_JwtRule.init)
        accessLogs = model.accessLogs.map(Weft_Discovery_V1_AccessLog.init)
        if let tracing = model.tracing { self.tracing = Weft_Discovery_V1_Tracing(tracing) }
        if let metrics = model.metrics { self.metrics = Weft_Discovery_V1_MetricsOverrides(metrics) }
        tcpDestinations = model.tcpDestinations.map(Self.weighted)
        protocolDetectionTimeoutMs = Int32(model: model.protocolDetectionTimeoutMs ?? 0)
        sniRoutes = model.sniRoutes.map { route in
            var wire = Weft_Discovery_V1_SNIRoute()
            wire.sniHosts = route.sniHosts
            wire.destinations = route.destinations.map(Self.weighted)
            wire.port = Int32(model: route.port ?? 0)
            wire.destinationSubnets = route.destinationSubnets
            return wire
        }
        tunnelTcpRoutes = model.tunnelTCPRoutes.map { route in
            var wire = Weft_Discovery_V1_TunnelTCPRoute()
            wire.hosts = route.hosts
            wire.port = Int32(model: route.port)
            wire.destinationSubnets = route.destinationSubnets
            wire.destinations = route.destinations.map(Self.weighted)
            return wire
        }
        serverTls = model.serverTLS.map(Weft_Discovery_V1_GatewayServerTLS.init)
        bindAddress = model.bindAddress ?? ""
        if let pool = model.appConnectionPool {
            var wire = Weft_Discovery_V1_AppConnectionPool()
            if let value = pool.maxConnections { wire.maxConnections = Int32(model: value) }
            if let value = pool.maxPendingRequests { wire.maxPendingRequests = Int32(model: value) }
            if let value = pool.maxRequestsPerConnection { wire.maxRequestsPerConnection = Int32(model: value) }
            if let value = pool.idleTimeoutMs { wire.idleTimeoutMs = Int64(model: value) }
            appConnectionPool = wire
        }
    }

    private static func weighted(_ destination: WeightedCluster) -> Weft_Discovery_V1_WeightedCluster {
        var wire = Weft_Discovery_V1_WeightedCluster()
        wire.cluster = destination.cluster
        wire.weight = Int32(model: destination.weight)
        return wire
    }
}

extension ListenerConfig {
    public init(wire: Weft_Discovery_V1_Listener) throws(WireError) {
        let direction: Direction
        switch wire.direction {
        case .outbound: direction = .outbound
        case .inbound: direction = .inbound
        case .gateway: direction = .gateway
        case .egress: direction = .egress
        case .UNRECOGNIZED(let value): throw WireError("listener \(wire.name): unknown direction \(value)")
        }
        let peerAuthentication: PeerAuthenticationMode
        switch wire.peerAuthentication {
        case .permissive: peerAuthentication = .permissive
        case .strict: peerAuthentication = .strict
        case .disable: peerAuthentication = .disable
        case .UNRECOGNIZED(let value): throw WireError("listener \(wire.name): unknown peer authentication mode \(value)")
        }
        guard (1...65535).contains(wire.port) else { throw WireError("listener \(wire.name): port \(wire.port) out of range") }
        self.init(name: wire.name, port: Int(wire: wire.port), direction: direction, protocolName: wire.protocol.isEmpty ? "HTTP" : wire.protocol,
                  routeTable: wire.routeTable.isEmpty ? nil : wire.routeTable, hosts: wire.hosts, appPort: wire.appPort == 0 ? nil : Int(wire: wire.appPort),
                  peerAuthentication: peerAuthentication)
        var policies: [AuthorizationPolicyConfig] = []
        for policy in wire.authorization { policies.append(try AuthorizationPolicyConfig(wire: policy)) }
        authorization = policies
        var rules: [JWTRuleConfig] = []
        for rule in wire.requestAuthentication { rules.append(try JWTRuleConfig(wire: rule)) }
        requestAuthentication = rules
        var logs: [AccessLogConfig] = []
        for log in wire.accessLogs { logs.append(try AccessLogConfig(wire: log)) }
        accessLogs = logs
        tracing = wire.hasTracing ? try TracingConfig(wire: wire.tracing) : nil
        metrics = wire.hasMetrics ? MetricsOverridesConfig(wire: wire.metrics) : nil
        tcpDestinations = wire.tcpDestinations.map { WeightedCluster(cluster: $0.cluster, weight: Int(wire: $0.weight)) }
        protocolDetectionTimeoutMs = wire.protocolDetectionTimeoutMs > 0 ? Int(wire: wire.protocolDetectionTimeoutMs) : nil
        sniRoutes = wire.sniRoutes.map { route in
            SNIRoute(sniHosts: route.sniHosts, destinations: route.destinations.map { WeightedCluster(cluster: $0.cluster, weight: Int(wire: $0.weight)) },
                     port: route.port > 0 ? Int(wire: route.port) : nil, destinationSubnets: route.destinationSubnets)
        }
        tunnelTCPRoutes = wire.tunnelTcpRoutes.map { route in
            TunnelTCPRoute(hosts: route.hosts, port: Int(wire: route.port), destinationSubnets: route.destinationSubnets,
                           destinations: route.destinations.map { WeightedCluster(cluster: $0.cluster, weight: Int(wire: $0.weight)) })
        }
        var servers: [GatewayServerTLS] = []
        for server in wire.serverTls { servers.append(try GatewayServerTLS(wire: server)) }
        serverTLS = servers
        bindAddress = wire.bindAddress.isEmpty ? nil : wire.bindAddress
        if wire.hasAppConnectionPool {
            let pool = wire.appConnectionPool
            var policy = ConnectionPoolPolicy()
            policy.maxConnections = pool.hasMaxConnections ? Int(wire: pool.maxConnections) : nil
            policy.maxPendingRequests = pool.hasMaxPendingRequests ? Int(wire: pool.maxPendingRequests) : nil
            policy.maxRequestsPerConnection = pool.hasMaxRequestsPerConnection ? Int(wire: pool.maxRequestsPerConnection) : nil
            policy.idleTimeoutMs = pool.hasIdleTimeoutMs ? Int(wire: pool.idleTimeoutMs) : nil
            appConnectionPool = policy
        }
    }
}
