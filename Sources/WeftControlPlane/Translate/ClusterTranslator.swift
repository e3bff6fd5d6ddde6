import WeftAPI
import WeftModel

/// Clusters translator: one cluster per visible service port, plus one per DestinationRule subset,
/// each with the traffic policy in force for it (EffectiveTrafficPolicy).
public enum ClusterTranslator {
    public static func translate(_ view: ProxyView) -> [ClusterConfig] {
        var clusters: [ClusterConfig] = []
        for service in view.services {
            let rule = DestinationRuleLookup.rule(for: service, in: view)
            let identities = serviceIdentities(service, in: view)
            for port in service.ports {
                let http2Port = Self.speaksHTTP2(port.protocolName)
                var base = ClusterConfig(serviceHost: service.hostname, port: port.number, subset: nil)
                base.http2 = http2Port
                // A ServiceEntry with resolution NONE: the connection goes where it was addressed (Envoy's ORIGINAL_DST).
                if service.origin == .serviceEntry && service.resolution == .none { base.loadBalancer = .passthrough }
                apply(.resolve(rule: rule?.spec.trafficPolicy, subset: nil, port: port.number), to: &base)
                applyServiceEntry(service, identities: identities, to: &base, view: view)
                clusters.append(base)
                for subset in rule?.spec.subsets ?? [] {
                    guard let name = subset.name else { continue }
                    var cluster = ClusterConfig(serviceHost: service.hostname, port: port.number, subset: name, subsetLabels: subset.labels ?? [:])
                    cluster.http2 = http2Port
                    apply(.resolve(rule: rule?.spec.trafficPolicy, subset: subset.trafficPolicy, port: port.number), to: &cluster)
                    applyServiceEntry(service, identities: identities, to: &cluster, view: view)
                    clusters.append(cluster)
                }
            }
        }
        return clusters
    }

    static func apply(_ policy: EffectiveTrafficPolicy, to cluster: inout ClusterConfig) {
        apply(loadBalancer: policy.loadBalancer, to: &cluster)
        if let settings = policy.connectionPool { connectionPool(settings, into: &cluster.connectionPool) }
        if let timeout = policy.connectionPool?.tcp?.connectTimeout { cluster.connectTimeoutMs = milliseconds(timeout) }
        if let http = policy.connectionPool?.http {
            if http.useClientProtocol == true { cluster.useClientProtocol = true }
            switch http.h2UpgradePolicy {
            case .UPGRADE?: cluster.http2 = true
            case .DO_NOT_UPGRADE?: cluster.http2 = false
            case .DEFAULT?, nil: break
            }
        }
        if let outlier = policy.outlierDetection { cluster.outlierDetection = outlierPolicy(outlier) }
        if let tls = policy.tls { cluster.tls = upstreamTLS(tls) }
        // Istio's default version is V1 (the proto enum's zero).
        if let proxyProtocol = policy.proxyProtocol { cluster.connectionPool.proxyProtocol = proxyProtocol.version == .V2 ? .v2 : .v1 }
    }

    /// DestinationRule (or Sidecar inboundConnectionPool) `connectionPool` limits over `pool`.
    static func connectionPool(_ settings: ConnectionPoolSettings, into pool: inout ConnectionPoolPolicy) {
        if let tcp = settings.tcp {
            if let max = tcp.maxConnections { pool.maxConnections = max }
            if let keepalive = tcp.tcpKeepalive {
                pool.tcpKeepalive = TCPKeepalive(probes: keepalive.probes, timeSeconds: keepalive.time.map { milliseconds($0) / 1000 },
                                                 intervalSeconds: keepalive.interval.map { milliseconds($0) / 1000 })
            }
            if let duration = tcp.maxConnectionDuration { pool.maxConnectionDurationMs = milliseconds(duration) }
            if let idle = tcp.idleTimeout {
                pool.idleTimeoutMs = milliseconds(idle)
                pool.tcpIdleTimeoutMs = milliseconds(idle)
            }
        }
        if let http = settings.http {
            if let pending = http.http1MaxPendingRequests { pool.maxPendingRequests = pending }
            if let perConnection = http.maxRequestsPerConnection { pool.maxRequestsPerConnection = perConnection }
            if let requests = http.http2MaxRequests { pool.maxRequests = requests }
            if let retries = http.maxRetries { pool.maxRetries = retries }
            if let idle = http.idleTimeout { pool.idleTimeoutMs = milliseconds(idle) }
            if let streams = http.maxConcurrentStreams { pool.maxConcurrentStreams = streams }
        }
    }

    /// What a cluster takes from its service beyond the DestinationRule: the identities its servers
    /// may show, and for a ServiceEntry its resolution, location and `subjectAltNames` (Istio checks
    /// TLS it originates to an entry's hosts against them when the DestinationRule names none).
    private static func applyServiceEntry(_ service: MeshService, identities: [String], to cluster: inout ClusterConfig, view: ProxyView) {
        cluster.serviceIdentities = identities
        GatewayTLSTranslator.resolveClientCredential(&cluster.tls, view: view)
        cluster.serviceAddresses = service.addresses
        cluster.serviceProtocol = service.port(cluster.port)?.protocolName
        guard service.origin == .serviceEntry else { return }
        switch service.resolution {
        case .dns: cluster.dnsLookup = .strict
        case .dnsRoundRobin: cluster.dnsLookup = .logical
        case .none, .staticAddresses: break
        }
        cluster.meshExternal = service.meshExternal
        if [.simple, .mutual].contains(cluster.tls.mode), cluster.tls.subjectAltNames.isEmpty { cluster.tls.subjectAltNames = service.subjectAltNames }
    }

    /// Whether a service port's protocol is carried upstream as HTTP/2 (Istio: `http2`, `grpc`, `grpc-web`).
    static func speaksHTTP2(_ protocolName: String?) -> Bool {
        ["HTTP2", "GRPC", "GRPC-WEB"].contains((protocolName ?? "").uppercased())
    }

    /// The SPIFFE identities of the service's workloads that have sidecars (Istio's service accounts of a service).
    static func serviceIdentities(_ service: MeshService, in view: ProxyView) -> [String] {
        var identities = Set<String>()
        for port in service.ports {
            for endpoint in view.endpoints["\(service.hostname)|\(port.number)"] ?? [] where endpoint.hasSidecar {
                identities.insert(SPIFFEIdentity(trustDomain: view.trustDomain, namespace: endpoint.namespace, serviceAccount: endpoint.serviceAccount).uri)
            }
        }
        // A ServiceEntry's subjectAltNames count among its service accounts, as Istio's do.
        if !service.meshExternal { identities.formUnion(service.subjectAltNames) }
        return identities.sorted()
    }

    /// DestinationRule `tls` (a missing mode is DISABLE, the field's zero value in Istio's API).
    static func upstreamTLS(_ tls: ClientTLSSettings) -> UpstreamTLS {
        let mode: UpstreamTLS.Mode
        switch tls.mode {
        case .DISABLE?, nil: mode = .disable
        case .SIMPLE?: mode = .simple
        case .MUTUAL?: mode = .mutual
        case .ISTIO_MUTUAL?: mode = .istioMutual
        }
        var result = UpstreamTLS(mode: mode, sni: tls.sni, subjectAltNames: tls.subjectAltNames ?? [], clientCertificate: tls.clientCertificate,
                                 privateKey: tls.privateKey, caCertificates: tls.caCertificates, insecureSkipVerify: tls.insecureSkipVerify ?? false)
        result.credentialName = tls.credentialName.flatMap { $0.isEmpty ? nil : GatewayTLSTranslator.secretName($0) }
        return result
    }

    private static func apply(loadBalancer: LoadBalancerSettings?, to cluster: inout ClusterConfig) {
        switch loadBalancer?.simple {
        case .LEAST_REQUEST?, .LEAST_CONN?: cluster.loadBalancer = .leastRequest
        case .RANDOM?: cluster.loadBalancer = .random
        case .PASSTHROUGH?: cluster.loadBalancer = .passthrough
        case .ROUND_ROBIN?: cluster.loadBalancer = .roundRobin
        case .UNSPECIFIED?, nil: break
        }
        if let hash = loadBalancer?.consistentHash, let key = hashKey(hash) {
            let table: HashPolicy.Table = hash.maglev != nil
                ? .maglev(size: hash.maglev?.tableSize ?? HashPolicy.defaultMaglevSize)
                : .ring(minimumSize: hash.ringHash?.minimumRingSize ?? hash.minimumRingSize ?? HashPolicy.defaultRingSize)
            cluster.hashPolicy = HashPolicy(key: key, table: table)
        }
        if let warmup = loadBalancer?.warmup, let duration = warmup.duration {
            cluster.warmup = WarmupPolicy(durationMs: milliseconds(duration), minimumPercent: warmup.minimumPercent ?? 10, aggression: warmup.aggression ?? 1)
        } else if let duration = loadBalancer?.warmupDurationSecs {
            cluster.warmup = WarmupPolicy(durationMs: milliseconds(duration))
        }
    }

    private static func hashKey(_ hash: LoadBalancerSettings.ConsistentHash) -> HashPolicy.Key? {
        if let header = hash.httpHeaderName { return .header(header.lowercased()) }
        if let cookie = hash.httpCookie, let name = cookie.name { return .cookie(name: name, path: cookie.path, ttlMs: cookie.ttl.map { milliseconds($0) }) }
        if hash.useSourceIp == true { return .sourceIP }
        if let parameter = hash.httpQueryParameterName { return .queryParameter(parameter) }
        return nil
    }

    /// Istio's translation: a threshold given as 0 turns that detector off; the rest are Envoy's defaults.
    static func outlierPolicy(_ outlier: OutlierDetection) -> OutlierPolicy {
        var policy = OutlierPolicy()
        if let errors = outlier.consecutive5xxErrors { policy.consecutive5xxErrors = errors }
        if let errors = outlier.consecutiveGatewayErrors { policy.consecutiveGatewayErrors = errors }
        if let deprecated = outlier.consecutiveErrors, deprecated > 0 { policy.consecutiveGatewayErrors = deprecated }
        if let failures = outlier.consecutiveLocalOriginFailures { policy.consecutiveLocalOriginFailures = failures }
        policy.splitLocalOrigin = outlier.splitExternalLocalOriginErrors ?? false
        if let interval = outlier.interval { policy.intervalMs = milliseconds(interval) }
        if let base = outlier.baseEjectionTime { policy.baseEjectionMs = milliseconds(base) }
        if let percent = outlier.maxEjectionPercent, percent > 0 { policy.maxEjectionPercent = percent }
        if let percent = outlier.minHealthPercent, percent >= 0 { policy.minHealthPercent = percent }
        return policy
    }

    static func milliseconds(_ duration: IstioDuration) -> Int { Int(duration.nanoseconds / 1_000_000) }
}

/// Endpoints translator: each cluster's endpoints, filtered by its subset's labels, with locality
/// priorities (failover) or weights (distribute) from the caller's point of view.
public enum EndpointTranslator {
    public static func translate(_ view: ProxyView, clusters: [ClusterConfig]) -> [EndpointGroup] {
        clusters.map { cluster in
            let endpoints = (view.endpoints["\(cluster.serviceHost)|\(cluster.port)"] ?? [])
                .filter { endpoint in cluster.subsetLabels.allSatisfy { endpoint.labels[$0.key] == $0.value } }
                .map { endpoint in
                    EndpointGroup.Endpoint(address: endpoint.address, port: endpoint.port, labels: endpoint.labels, locality: endpoint.locality, weight: endpoint.weight,
                                           workload: endpoint.workloadName, identity: meshIdentity(of: endpoint, in: view))
                }
            return EndpointGroup(cluster: cluster.name, endpoints: LocalityBalancing.apply(localitySetting(for: cluster, in: view), to: endpoints, caller: view.proxy,
                                                                                       failover: cluster.outlierDetection != nil))
        }
    }

    /// Istio's auto mutual TLS per endpoint: the workload's identity when it has a sidecar and its
    /// PeerAuthentication (workload and port level included) does not disable mutual TLS there.
    static func meshIdentity(of endpoint: ServiceEndpoint, in view: ProxyView) -> String? {
        guard endpoint.hasSidecar,
              view.peerAuthentication.mode(namespace: endpoint.namespace, labels: endpoint.labels, port: endpoint.port) != .disable else { return nil }
        return SPIFFEIdentity(trustDomain: view.trustDomain, namespace: endpoint.namespace, serviceAccount: endpoint.serviceAccount).uri
    }

    private static func localitySetting(for cluster: ClusterConfig, in view: ProxyView) -> LocalityLoadBalancerSetting? {
        var setting = view.localityLbSetting
        if let service = view.service(cluster.serviceHost), let rule = DestinationRuleLookup.rule(for: service, in: view) {
            let subset = rule.spec.subsets?.first { $0.name == cluster.subset }?.trafficPolicy
            if let own = EffectiveTrafficPolicy.resolve(rule: rule.spec.trafficPolicy, subset: subset, port: cluster.port).loadBalancer?.localityLbSetting { setting = own }
        }
        return setting
    }
}
