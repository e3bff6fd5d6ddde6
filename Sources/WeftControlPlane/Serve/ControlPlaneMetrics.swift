/// What the control plane counts, with istiod's names (`:15014/metrics` there, the API port's
/// `/metrics` here): pushes and rejects per xDS type, connected proxies, the time from a config
/// change to the proxy's ACK, and validation outcomes. Kept by the hub (an actor), so plain values.
struct ControlPlaneMetrics: Sendable {
    /// istiod's `pilot_proxy_convergence_time` bounds, in seconds.
    static let convergenceBounds: [Double] = [0.1, 0.5, 1, 3, 5, 10, 20, 30]

    var pushes: [String: Int] = [:]
    var rejects: [String: Int] = [:]
    var convergence = Array(repeating: 0, count: convergenceBounds.count + 1)
    var convergenceSum: Double = 0
    var convergenceCount = 0

    /// `cds`, `eds`, `lds`, `rds`: xDS's short names for Weft's resource types.
    static func shortName(_ typeURL: String) -> String {
        switch typeURL.split(separator: ".").last {
        case "Cluster": return "cds"
        case "EndpointGroup": return "eds"
        case "Listener": return "lds"
        case "RouteTable": return "rds"
        default: return typeURL.split(separator: ".").last.map { String($0).lowercased() } ?? "unknown"
        }
    }

    mutating func pushed(_ typeURL: String) { pushes[Self.shortName(typeURL), default: 0] += 1 }
    mutating func rejected(_ typeURL: String) { rejects[Self.shortName(typeURL), default: 0] += 1 }

    mutating func converged(after seconds: Double) {
        var index = 0
        while index < Self.convergenceBounds.count && seconds > Self.convergenceBounds[index] { index += 1 }
        convergence[index] += 1
        convergenceSum += seconds
        convergenceCount += 1
    }

    /// Prometheus text: these, the connected proxies, resources by kind and validation counts.
    func prometheusText(connected: Int, resources: [String: Int], validation: (passed: Int, failed: Int)) -> String {
        var out = "# HELP pilot_xds Number of endpoints connected to this pilot using XDS.\n# TYPE pilot_xds gauge\npilot_xds \(connected)\n"
        out += "# HELP pilot_xds_pushes Pilot build and send errors for lds, rds, cds and eds.\n# TYPE pilot_xds_pushes counter\n"
        for type in ["cds", "eds", "lds", "rds"] { out += "pilot_xds_pushes{type=\"\(type)\"} \(pushes[type] ?? 0)\n" }
        out += "# HELP pilot_total_xds_rejects Total number of XDS responses from pilot rejected by proxy.\n# TYPE pilot_total_xds_rejects counter\n"
        for type in ["cds", "eds", "lds", "rds"] { out += "pilot_total_xds_rejects{type=\"\(type)\"} \(rejects[type] ?? 0)\n" }
        out += "# HELP pilot_proxy_convergence_time Delay in seconds between config change and a proxy receiving all required configuration.\n"
        out += "# TYPE pilot_proxy_convergence_time histogram\n"
        var cumulative = 0
        for (index, bound) in Self.convergenceBounds.enumerated() {
            cumulative += convergence[index]
            out += "pilot_proxy_convergence_time_bucket{le=\"\(bound == bound.rounded() ? String(Int(bound)) : String(bound))\"} \(cumulative)\n"
        }
        out += "pilot_proxy_convergence_time_bucket{le=\"+Inf\"} \(convergenceCount)\n"
        out += "pilot_proxy_convergence_time_sum \(convergenceSum)\npilot_proxy_convergence_time_count \(convergenceCount)\n"
        out += "# HELP weft_config_resources Resources stored, by kind.\n# TYPE weft_config_resources gauge\n"
        for (kind, count) in resources.sorted(by: { $0.key < $1.key }) { out += "weft_config_resources{kind=\"\(kind)\"} \(count)\n" }
        out += "# HELP galley_validation_passed Resource is valid.\n# TYPE galley_validation_passed counter\ngalley_validation_passed \(validation.passed)\n"
        out += "# HELP galley_validation_failed Resource validation failed.\n# TYPE galley_validation_failed counter\ngalley_validation_failed \(validation.failed)\n"
        return out
    }
}
