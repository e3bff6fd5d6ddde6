import WeftModel

/// What the admin page's `/clusters` shows per endpoint, as Envoy's does: health flags (an
/// outlier ejection is `/failed_outlier_check`), priority, weight and locality.
struct ClusterHealth: Encodable {
    var cluster: String
    var address: String
    var healthy: Bool
    var ejections: Int
    var ejectedForMs: Int64
    var priority: Int
    var weight: Int
    var locality: String

    static func hosts(_ active: ActiveConfiguration, ejections: [String: [String: (ejections: Int, remainingMs: Int64)]]) -> [ClusterHealth] {
        active.configuration.endpoints.flatMap { group in
            group.endpoints.map { endpoint in
                let ejected = ejections[group.cluster]?[endpoint.key]
                return ClusterHealth(cluster: group.cluster, address: endpoint.key, healthy: ejected == nil, ejections: ejected?.ejections ?? 0,
                                     ejectedForMs: ejected?.remainingMs ?? 0, priority: endpoint.priority, weight: endpoint.localityWeight ?? endpoint.weight,
                                     locality: endpoint.locality)
            }
        }
    }

    /// Envoy's text format: `cluster::host::field::value`.
    var envoyLines: String {
        let prefix = "\(cluster)::\(address)::"
        return prefix + "health_flags::" + (healthy ? "healthy" : "/failed_outlier_check") + "\n"
            + prefix + "priority::\(priority)\n" + prefix + "weight::\(weight)\n" + prefix + "region::\(locality)\n"
    }
}
