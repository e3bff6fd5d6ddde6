import WeftModel

extension Weft_Discovery_V1_Cluster {
    public init(_ model: ClusterConfig) {
        self.init()
        name = model.name
        serviceHost = model.serviceHost
        port = Int32(model: model.port)
        if let subset = model.subset { self.subset = subset }
        subsetLabels = model.subsetLabels
        switch model.loadBalancer {
        case .roundRobin: loadBalancer = .roundRobin
        case .leastRequest: loadBalancer = .leastRequest
        case .random: loadBalancer = .random
        case .passthrough: loadBalancer = .passthrough
        }
        connectTimeoutMs = Int64(model: model.connectTimeoutMs)
        if let value = model.connectionPool.maxConnections { maxConnections = Int32(model: value) }
        if let value = model.connectionPool.maxPendingRequests { maxPendingRequests = Int32(model: value) }
        if let value = model.connectionPool.maxRequestsPerConnection { maxRequestsPerConnection = Int32(model: value) }
        if let value = model.connectionPool.maxRequests { maxRequests = Int32(model: value) }
        if let value = model.connectionPool.maxRetries { maxRetries = Int32(model: value) }
        if let value = model.connectionPool.idleTimeoutMs { idleTimeoutMs = Int64(model: value) }
        if let value = model.connectionPool.tcpIdleTimeoutMs { tcpIdleTimeoutMs = Int64(model: value) }
        if let value = model.connectionPool.maxConcurrentStreams { maxConcurrentStreams = Int32(model: value) }
        if let value = model.connectionPool.maxConnectionDurationMs { maxConnectionDurationMs = Int64(model: value) }
        switch model.connectionPool.proxyProtocol {
        case nil: proxyProtocol = .noProxyProtocol
        case .v1?: proxyProtocol = .v1
        case .v2?: proxyProtocol = .v2
        }
        if let keepalive = model.connectionPool.tcpKeepalive {
            var wire = Weft_Discovery_V1_TCPKeepalive()
            if let value = keepalive.probes { wire.probes = Int32(model: value) }
            if let value = keepalive.timeSeconds { wire.timeSeconds = Int32(model: value) }
            if let value = keepalive.intervalSeconds { wire.intervalSeconds = Int32(model: value) }
            tcpKeepalive = wire
        }
        if let policy = model.hashPolicy { hashPolicy = Weft_Discovery_V1_HashPolicy(policy) }
        if let warmup = model.warmup {
            var wire = Weft_Discovery_V1_WarmupPolicy()
            wire.durationMs = Int64(model: warmup.durationMs)
            wire.minimumPercent = warmup.minimumPercent
            wire.aggression = warmup.aggression
            self.warmup = wire
        }
        if let outlier = model.outlierDetection {
            var wire = Weft_Discovery_V1_OutlierPolicy()
            wire.consecutive5XxErrors = Int32(model: outlier.consecutive5xxErrors)
            wire.consecutiveGatewayErrors = Int32(model: outlier.consecutiveGatewayErrors)
            wire.consecutiveLocalOriginFailures = Int32(model: outlier.consecutiveLocalOriginFailures)
            wire.splitLocalOrigin = outlier.splitLocalOrigin
            wire.intervalMs = Int64(model: outlier.intervalMs)
            wire.baseEjectionMs = Int64(model: outlier.baseEjectionMs)
            wire.maxEjectionPercent = Int32(model: outlier.maxEjectionPercent)
            wire.minHealthPercent = Int32(model: outlier.minHealthPercent)
            outlierDetection = wire
        }
        if model.tls != .auto { tls = Weft_Discovery_V1_UpstreamTLS(model.tls) }
        serviceIdentities = model.serviceIdentities
        http2 = model.http2
        useClientProtocol = model.useClientProtocol
        switch model.dnsLookup {
        case .none: dnsLookup = .noLookup
        case .strict: dnsLookup = .strict
        case .logical: dnsLookup = .logical
        }
        meshExternal = model.meshExternal
        serviceAddresses = model.serviceAddresses
        serviceProtocol = model.serviceProtocol ?? ""
    }
}

extension Weft_Discovery_V1_HashPolicy {
    init(_ model: HashPolicy) {
        self.init()
        switch model.key {
        case .header(let name): key = .header(name)
        case .cookie(let name, let path, let ttlMs):
            var cookie = Cookie()
            cookie.name = name
            if let path { cookie.path = path }
            if let ttlMs { cookie.ttlMs = Int64(model: ttlMs) }
            key = .cookie(cookie)
        case .sourceIP: key = .sourceIp(true)
        case .queryParameter(let name): key = .queryParameter(name)
        }
        switch model.table {
        case .ring(let size): table = .ringMinimumSize(Int32(model: size))
        case .maglev(let size): table = .maglevSize(Int32(model: size))
        }
    }
}

extension ClusterConfig {
    public init(wire: Weft_Discovery_V1_Cluster) throws(WireError) {
        let balancer: LoadBalancer
        switch wire.loadBalancer {
        case .roundRobin: balancer = .roundRobin
        case .leastRequest: balancer = .leastRequest
        case .random: balancer = .random
        case .passthrough: balancer = .passthrough
        case .UNRECOGNIZED(let value): throw WireError("cluster \(wire.name): unknown load balancer \(value)")
        }
        self.init(serviceHost: wire.serviceHost, port: Int(wire: wire.port), subset: wire.hasSubset ? wire.subset : nil, subsetLabels: wire.subsetLabels,
                  loadBalancer: balancer, connectTimeoutMs: Int(wire: wire.connectTimeoutMs))
        name = wire.name
        connectionPool.maxConnections = wire.hasMaxConnections ? Int(wire: wire.maxConnections) : nil
        connectionPool.maxPendingRequests = wire.hasMaxPendingRequests ? Int(wire: wire.maxPendingRequests) : nil
        connectionPool.maxRequestsPerConnection = wire.hasMaxRequestsPerConnection ? Int(wire: wire.maxRequestsPerConnection) : nil
        connectionPool.maxRequests = wire.hasMaxRequests ? Int(wire: wire.maxRequests) : nil
        connectionPool.maxRetries = wire.hasMaxRetries ? Int(wire: wire.maxRetries) : nil
        connectionPool.idleTimeoutMs = wire.hasIdleTimeoutMs ? Int(wire: wire.idleTimeoutMs) : nil
        connectionPool.tcpIdleTimeoutMs = wire.hasTcpIdleTimeoutMs ? Int(wire: wire.tcpIdleTimeoutMs) : nil
        connectionPool.maxConcurrentStreams = wire.hasMaxConcurrentStreams ? Int(wire: wire.maxConcurrentStreams) : nil
        connectionPool.maxConnectionDurationMs = wire.hasMaxConnectionDurationMs ? Int(wire: wire.maxConnectionDurationMs) : nil
        switch wire.proxyProtocol {
        case .noProxyProtocol: connectionPool.proxyProtocol = nil
        case .v1: connectionPool.proxyProtocol = .v1
        case .v2: connectionPool.proxyProtocol = .v2
        case .UNRECOGNIZED(let value): throw WireError("cluster \(wire.name): unknown PROXY protocol version \(value)")
        }
        if wire.hasTcpKeepalive {
            let keepalive = wire.tcpKeepalive
            connectionPool.tcpKeepalive = TCPKeepalive(probes: keepalive.hasProbes ? Int(wire: keepalive.probes) : nil,
                                        timeSeconds: keepalive.hasTimeSeconds ? Int(wire: keepalive.timeSeconds) : nil,
                                        intervalSeconds: keepalive.hasIntervalSeconds ? Int(wire: keepalive.intervalSeconds) : nil)
        }
        if wire.hasHashPolicy { hashPolicy = try HashPolicy(wire: wire.hashPolicy, cluster: wire.name) }
        if wire.hasWarmup {
            warmup = WarmupPolicy(durationMs: Int(wire: wire.warmup.durationMs), minimumPercent: wire.warmup.minimumPercent, aggression: wire.warmup.aggression)
        }
        if wire.hasOutlierDetection {
            let outlier = wire.outlierDetection
            outlierDetection = OutlierPolicy(consecutive5xxErrors: Int(wire: outlier.consecutive5XxErrors), consecutiveGatewayErrors: Int(wire: outlier.consecutiveGatewayErrors),
                                             consecutiveLocalOriginFailures: Int(wire: outlier.consecutiveLocalOriginFailures), splitLocalOrigin: outlier.splitLocalOrigin,
                                             intervalMs: Int(wire: outlier.intervalMs), baseEjectionMs: Int(wire: outlier.baseEjectionMs),
                                             maxEjectionPercent: Int(wire: outlier.maxEjectionPercent), minHealthPercent: Int(wire: outlier.minHealthPercent))
        }
        if wire.hasTls { tls = try UpstreamTLS(wire: wire.tls, cluster: wire.name) }
        serviceIdentities = wire.serviceIdentities
        http2 = wire.http2
        useClientProtocol = wire.useClientProtocol
        switch wire.dnsLookup {
        case .noLookup: dnsLookup = .none
        case .strict: dnsLookup = .strict
        case .logical: dnsLookup = .logical
        case .UNRECOGNIZED(let value): throw WireError("cluster \(wire.name): unknown DNS lookup \(value)")
        }
        meshExternal = wire.meshExternal
        serviceAddresses = wire.serviceAddresses
        serviceProtocol = wire.serviceProtocol.isEmpty ? nil : wire.serviceProtocol
    }
}

extension HashPolicy {
    init(wire: Weft_Discovery_V1_HashPolicy, cluster: String) throws(WireError) {
        let key: Key
        switch wire.key {
        case .header(let name)?: key = .header(name)
        case .cookie(let cookie)?: key = .cookie(name: cookie.name, path: cookie.hasPath ? cookie.path : nil, ttlMs: cookie.hasTtlMs ? Int(wire: cookie.ttlMs) : nil)
        case .sourceIp?: key = .sourceIP
        case .queryParameter(let name)?: key = .queryParameter(name)
        case nil: throw WireError("cluster \(cluster): a hash policy without a key")
        }
        let table: Table
        switch wire.table {
        case .ringMinimumSize(let size)?: table = .ring(minimumSize: Int(wire: size))
        case .maglevSize(let size)?: table = .maglev(size: Int(wire: size))
        case nil: throw WireError("cluster \(cluster): a hash policy without a table")
        }
        self.init(key: key, table: table)
    }
}
