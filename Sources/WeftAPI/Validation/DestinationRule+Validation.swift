extension DestinationRuleSpec {
    public func validate(into v: inout Validator, at path: FieldPath, meta: ObjectMeta) {
        if let host, !host.isEmpty {
            if let problem = Names.wildcardDomainProblem(host) { v.error(path / "host", problem) }
        } else {
            v.error(path / "host", "host is required")
        }
        if let trafficPolicy { trafficPolicy.validate(into: &v, at: path / "trafficPolicy") }
        var names: Set<String> = []
        v.each(subsets, path / "subsets") { v, subset, subsetPath in
            let name = subset.name ?? ""
            if name.isEmpty { v.error(subsetPath / "name", "subset name cannot be empty") }
            else if !Names.isDNS1123Label(name) { v.error(subsetPath / "name", "subset name is invalid: \(name)") }
            if !name.isEmpty && !names.insert(name).inserted { v.error(subsetPath / "name", "duplicate subset names: \(name)") }
            v.validateLabels(subset.labels, subsetPath / "labels")
            if let policy = subset.trafficPolicy { policy.validate(into: &v, at: subsetPath / "trafficPolicy") }
        }
        v.validateExportTo(exportTo, path / "exportTo", hasWorkloadSelector: workloadSelector != nil)
        v.validateWorkloadSelector(workloadSelector, path / "workloadSelector")
    }
}

extension TrafficPolicy {
    func validate(into v: inout Validator, at path: FieldPath) {
        if loadBalancer == nil && connectionPool == nil && outlierDetection == nil && tls == nil && portLevelSettings == nil
            && tunnel == nil && proxyProtocol == nil && retryBudget == nil {
            v.error(path, "traffic policy must have at least one field")
            return
        }
        if tunnel != nil && proxyProtocol != nil { v.error(path / "tunnel", "tunnel and proxyProtocol must not be set together") }
        v.validateOutlierDetection(outlierDetection, path / "outlierDetection")
        v.validateConnectionPool(connectionPool, path / "connectionPool")
        v.validateLoadBalancer(loadBalancer, outlier: outlierDetection, path / "loadBalancer")
        v.validateClientTLS(tls, path / "tls")
        v.each(portLevelSettings, path / "portLevelSettings") { v, port, portPath in
            if let number = port.port?.number { v.validatePort(number, portPath / "port" / "number") }
            else { v.error(portPath / "port", "portTrafficPolicy must have valid port") }
            if port.outlierDetection == nil && port.connectionPool == nil && port.loadBalancer == nil && port.tls == nil {
                v.error(portPath, "port traffic policy must have at least one field")
            }
            v.validateOutlierDetection(port.outlierDetection, portPath / "outlierDetection")
            v.validateConnectionPool(port.connectionPool, portPath / "connectionPool")
            v.validateLoadBalancer(port.loadBalancer, outlier: port.outlierDetection, portPath / "loadBalancer")
            v.validateClientTLS(port.tls, portPath / "tls")
        }
        if let tunnel {
            if let proto = tunnel.protocol, proto != "CONNECT" && proto != "POST" {
                v.error(path / "tunnel" / "protocol", "tunnel protocol must be \"CONNECT\" or \"POST\"")
            }
            let target = tunnel.targetHost ?? ""
            if target.isEmpty || (Names.domainProblem(target) != nil && !Names.isIP(target)) {
                v.error(path / "tunnel" / "targetHost", "tunnel target host must be valid FQDN or IP address")
            }
            if let port = tunnel.targetPort { v.validatePort(port, path / "tunnel" / "targetPort") }
            else { v.error(path / "tunnel" / "targetPort", "tunnel target port is required") }
        }
        if let budget = retryBudget {
            v.validatePercentage(budget.percent, path / "retryBudget" / "percent")
            v.validateNonNegative(budget.minRetryConcurrency, path / "retryBudget" / "minRetryConcurrency")
        }
    }
}

extension Validator {
    mutating func validateOutlierDetection(_ outlier: OutlierDetection?, _ path: FieldPath) {
        guard let outlier else { return }
        validateDuration(outlier.baseEjectionTime, path / "baseEjectionTime")
        validateDuration(outlier.interval, path / "interval")
        if outlier.consecutiveErrors != nil {
            warning(path / "consecutiveErrors", "outlier detection consecutive errors is deprecated, use consecutiveGatewayErrors or consecutive5xxErrors instead")
        }
        if !(outlier.splitExternalLocalOriginErrors ?? false), (outlier.consecutiveLocalOriginFailures ?? 0) > 0 {
            error(path / "consecutiveLocalOriginFailures", "outlier detection consecutive local origin failures is specified, but split external local origin errors is set to false")
        }
        for (field, value) in [("consecutive5xxErrors", outlier.consecutive5xxErrors), ("consecutiveGatewayErrors", outlier.consecutiveGatewayErrors), ("consecutiveLocalOriginFailures", outlier.consecutiveLocalOriginFailures), ("consecutiveErrors", outlier.consecutiveErrors)] {
            validateNonNegative(value, path / field)
        }
        validatePercent(outlier.maxEjectionPercent, path / "maxEjectionPercent")
        validatePercent(outlier.minHealthPercent, path / "minHealthPercent")
    }

    mutating func validateConnectionPool(_ pool: ConnectionPoolSettings?, _ path: FieldPath) {
        guard let pool else { return }
        if pool.http == nil && pool.tcp == nil { error(path, "connection pool must have at least one field"); return }
        if let http = pool.http {
            let httpPath = path / "http"
            for (field, value) in [("http1MaxPendingRequests", http.http1MaxPendingRequests), ("http2MaxRequests", http.http2MaxRequests), ("maxRequestsPerConnection", http.maxRequestsPerConnection), ("maxRetries", http.maxRetries), ("maxConcurrentStreams", http.maxConcurrentStreams)] {
                validateNonNegative(value, httpPath / field)
            }
            validateDuration(http.idleTimeout, httpPath / "idleTimeout")
            if http.h2UpgradePolicy == .UPGRADE && http.useClientProtocol == true {
                error(httpPath / "useClientProtocol", "use client protocol must not be true when h2UpgradePolicy is UPGRADE")
            }
        }
        if let tcp = pool.tcp {
            let tcpPath = path / "tcp"
            validateNonNegative(tcp.maxConnections, tcpPath / "maxConnections")
            validateDuration(tcp.connectTimeout, tcpPath / "connectTimeout")
            validateDuration(tcp.maxConnectionDuration, tcpPath / "maxConnectionDuration")
            validateDuration(tcp.idleTimeout, tcpPath / "idleTimeout")
            validateDuration(tcp.tcpKeepalive?.time, tcpPath / "tcpKeepalive" / "time")
            validateDuration(tcp.tcpKeepalive?.interval, tcpPath / "tcpKeepalive" / "interval")
            validateNonNegative(tcp.tcpKeepalive?.probes, tcpPath / "tcpKeepalive" / "probes")
        }
    }

    mutating func validateLoadBalancer(_ settings: LoadBalancerSettings?, outlier: OutlierDetection?, _ path: FieldPath) {
        guard let settings else { return }
        if settings.simple != nil && settings.consistentHash != nil {
            error(path, "only one of simple or consistentHash may be set")
        }
        if let hash = settings.consistentHash {
            let hashPath = path / "consistentHash"
            let keys = [hash.httpHeaderName != nil, hash.httpCookie != nil, hash.useSourceIp == true, hash.httpQueryParameterName != nil].filter { $0 }.count
            if keys > 1 { error(hashPath, "only one of httpHeaderName, httpCookie, useSourceIp or httpQueryParameterName may be set") }
            if let cookie = hash.httpCookie {
                if (cookie.name ?? "").isEmpty { error(hashPath / "httpCookie" / "name", "name required for HttpCookie") }
                if let ttl = cookie.ttl, ttl.nanoseconds < 0 { error(hashPath / "httpCookie" / "ttl", "ttl must not be negative") }
            }
            if hash.ringHash != nil && hash.maglev != nil { error(hashPath, "only one of ringHash or maglev may be set") }
            if hash.minimumRingSize != nil {
                warning(hashPath / "minimumRingSize", "consistent hash minimumRingSize is deprecated, use ringHash.minimumRingSize instead")
                if hash.ringHash != nil || hash.maglev != nil {
                    error(hashPath / "minimumRingSize", "only one of minimumRingSize or maglev/ringHash can be specified")
                }
            }
            if let maglev = hash.maglev {
                let size = maglev.tableSize ?? 0
                if size == 0 { error(hashPath / "maglev" / "tableSize", "tableSize must be set for maglev") }
                else if size >= 5_000_011 { error(hashPath / "maglev" / "tableSize", "tableSize must be less than 5000011 for maglev") }
                else if !Self.isPrime(size) { error(hashPath / "maglev" / "tableSize", "tableSize must be a prime number for maglev") }
            }
        }
        validateLocalityLbSetting(settings.localityLbSetting, outlier: outlier, path / "localityLbSetting")
        validateDuration(settings.warmupDurationSecs, path / "warmupDurationSecs")
        if settings.warmupDurationSecs != nil && settings.warmup != nil { error(path / "warmup", "only one of warmupDurationSecs or warmup may be set") }
        if let warmup = settings.warmup {
            validateDuration(warmup.duration, path / "warmup" / "duration")
            if let minimum = warmup.minimumPercent, minimum < 0 || minimum > 100 { error(path / "warmup" / "minimumPercent", "minimumPercent must be in the range 0..100") }
            if let aggression = warmup.aggression, aggression < 1 { error(path / "warmup" / "aggression", "aggression must be at least 1") }
        }
    }

    mutating func validateLocalityLbSetting(_ setting: LocalityLoadBalancerSetting?, outlier: OutlierDetection?, _ path: FieldPath) {
        guard let setting else { return }
        if !(setting.distribute ?? []).isEmpty && !(setting.failover ?? []).isEmpty {
            error(path, "can not simultaneously specify 'distribute' and 'failover'")
        }
        if !(setting.failover ?? []).isEmpty && !(setting.failoverPriority ?? []).isEmpty {
            for (index, label) in (setting.failoverPriority ?? []).enumerated() where label.hasPrefix("topology.kubernetes.io/") || label == "topology.istio.io/subzone" {
                error(path / "failoverPriority" / index, "can not simultaneously set 'failover' and topology label '\(label)' in 'failoverPriority'")
            }
        }
        var froms: Set<String> = []
        each(setting.distribute, path / "distribute") { v, entry, entryPath in
            let from = entry.from ?? ""
            if from.isEmpty { v.error(entryPath / "from", "locality 'from' is required") }
            if !froms.insert(from).inserted { v.error(entryPath / "from", "locality load balancer distribute setting from \(from) is duplicated") }
            if from.split(separator: "/").count > 3 { v.error(entryPath / "from", "locality \(from) has more than region/zone/subzone") }
            if let slash = from.firstIndex(of: "*"), from.index(after: slash) != from.endIndex {
                v.error(entryPath / "from", "locality \(from) may only have a wildcard as its last part")
            }
            let total = (entry.to ?? [:]).values.reduce(0, +)
            if total != 100 { v.error(entryPath / "to", "total locality weight \(total) != 100") }
        }
        each(setting.failover, path / "failover") { v, entry, entryPath in
            let from = entry.from ?? "", to = entry.to ?? ""
            if from.isEmpty || to.isEmpty { v.error(entryPath, "locality failover needs both 'from' and 'to'") }
            if from == to && !from.isEmpty { v.error(entryPath, "locality lb failover settings must specify different regions") }
            if from.contains("/") || to.contains("/") { v.error(entryPath, "locality failover only specifies regions") }
            if from.contains("*") || to.contains("*") { v.error(entryPath, "locality failover does not support wildcards") }
        }
    }

    private static func isPrime(_ value: Int) -> Bool {
        if value < 2 { return false }
        if value < 4 { return true }
        if value % 2 == 0 { return false }
        var factor = 3
        while factor * factor <= value {
            if value % factor == 0 { return false }
            factor += 2
        }
        return true
    }

    /// Client-side TLS: modes that need files or a credential say so.
    mutating func validateClientTLS(_ tls: ClientTLSSettings?, _ path: FieldPath) {
        guard let tls else { return }
        let mode = tls.mode ?? .DISABLE
        if mode == .ISTIO_MUTUAL || mode == .DISABLE {
            for (field, value) in [("clientCertificate", tls.clientCertificate), ("privateKey", tls.privateKey), ("caCertificates", tls.caCertificates), ("credentialName", tls.credentialName)] where !(value ?? "").isEmpty {
                if mode == .ISTIO_MUTUAL { error(path / field, "ISTIO_MUTUAL TLS cannot have associated \(field)") }
            }
        }
        if mode == .MUTUAL && (tls.credentialName ?? "").isEmpty {
            if (tls.clientCertificate ?? "").isEmpty { error(path / "clientCertificate", "client certificate required for mutual tls") }
            if (tls.privateKey ?? "").isEmpty { error(path / "privateKey", "private key required for mutual tls") }
        }
        if let crl = tls.caCrl, !crl.isEmpty, !(tls.credentialName ?? "").isEmpty {
            error(path / "caCrl", "CRL is not supported with credentialName; put it in the credential")
        }
    }
}
