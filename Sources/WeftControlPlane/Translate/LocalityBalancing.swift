import WeftAPI
import WeftModel

/// Locality-aware load balancing, decided per caller as Istio does it: failover gives each
/// endpoint a priority by how far its locality is from the caller's (0 same subzone, 1 same zone,
/// 2 same region, 3 elsewhere, 4 a region the failover list does not send to), compacted to
/// consecutive levels; distribute gives each locality a weight instead. Failover needs outlier
/// detection, without which no endpoint ever leaves its level.
enum LocalityBalancing {
    static func apply(_ setting: LocalityLoadBalancerSetting?, to endpoints: [EndpointGroup.Endpoint], caller: ProxyIdentity, failover: Bool) -> [EndpointGroup.Endpoint] {
        guard let setting, setting.enabled != false, !endpoints.isEmpty else { return endpoints }
        let here = Locality.from(labels: caller.labels)
        if let distribute = setting.distribute, !distribute.isEmpty {
            return weights(distribute, endpoints, from: here)
        }
        guard failover else { return endpoints }
        if let labels = setting.failoverPriority, !labels.isEmpty {
            return compact(endpoints.map { endpoint in
                var endpoint = endpoint
                endpoint.priority = labelPriority(labels, endpoint, caller: caller, here: here)
                return endpoint
            })
        }
        return compact(endpoints.map { endpoint in
            var endpoint = endpoint
            endpoint.priority = priority(from: here, to: Locality(endpoint.locality), failover: setting.failover ?? [])
            return endpoint
        })
    }

    static func priority(from here: Locality, to there: Locality, failover: [LocalityLoadBalancerSetting.Failover]) -> Int {
        if here.region == there.region {
            if here.zone == there.zone { return here.subzone == there.subzone ? 0 : 1 }
            return 2
        }
        if let rule = failover.first(where: { $0.from == here.region }), rule.to != there.region { return 4 }
        return 3
    }

    /// failoverPriority: the more of the listed labels (in order) an endpoint shares with the caller, the nearer it is.
    private static func labelPriority(_ labels: [String], _ endpoint: EndpointGroup.Endpoint, caller: ProxyIdentity, here: Locality) -> Int {
        let there = Locality(endpoint.locality)
        var matched = 0
        for label in labels {
            let mine: String?
            let theirs: String?
            switch label {
            case "topology.kubernetes.io/region", "topology.istio.io/region": (mine, theirs) = (here.region, there.region)
            case "topology.kubernetes.io/zone", "topology.istio.io/zone": (mine, theirs) = (here.zone, there.zone)
            case "topology.istio.io/subzone": (mine, theirs) = (here.subzone, there.subzone)
            default: (mine, theirs) = (caller.labels[label], endpoint.labels[label])
            }
            guard let mine, mine == theirs else { break }
            matched += 1
        }
        return labels.count - matched
    }

    /// Priorities renumbered 0, 1, 2… without gaps, as Envoy requires.
    private static func compact(_ endpoints: [EndpointGroup.Endpoint]) -> [EndpointGroup.Endpoint] {
        let levels = Set(endpoints.map(\.priority)).sorted()
        let index = Dictionary(uniqueKeysWithValues: levels.enumerated().map { ($1, $0) })
        return endpoints.map { endpoint in
            var endpoint = endpoint
            endpoint.priority = index[endpoint.priority] ?? 0
            return endpoint
        }
    }

    /// Distribute: the first rule whose `from` covers the caller; each `to` locality's weight is shared
    /// by the localities it matches in proportion to their endpoint weights; unmatched localities get none.
    private static func weights(_ rules: [LocalityLoadBalancerSetting.Distribute], _ endpoints: [EndpointGroup.Endpoint], from here: Locality) -> [EndpointGroup.Endpoint] {
        guard let rule = rules.first(where: { here.matches($0.from ?? "") }) else { return endpoints }
        let localities = Dictionary(grouping: endpoints, by: \.locality)
        var assigned: [String: Int] = [:]
        for (pattern, weight) in (rule.to ?? [:]).sorted(by: { $0.key < $1.key }) {
            let matching = localities.filter { assigned[$0.key] == nil && Locality($0.key).matches(pattern) }
            let total = matching.values.reduce(0) { $0 + $1.reduce(0) { $0 + max($1.weight, 1) } }
            guard total > 0 else { continue }
            for (locality, group) in matching {
                let own = group.reduce(0) { $0 + max($1.weight, 1) }
                assigned[locality] = Int((Double(own * weight) / Double(total)).rounded(.up))
            }
        }
        return endpoints.compactMap { endpoint in
            guard let weight = assigned[endpoint.locality], weight > 0 else { return nil }
            var endpoint = endpoint
            endpoint.localityWeight = weight
            return endpoint
        }
    }
}
