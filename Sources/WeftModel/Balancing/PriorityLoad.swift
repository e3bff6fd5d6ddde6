/// Envoy's priority levels, which locality failover is made of: each level takes as much traffic as
/// its health allows (healthy share × the overprovisioning factor 1.4), the rest spills to the next
/// level; when the levels together are less than fully healthy, the load is spread in proportion.
public enum PriorityLoad {
    public static let overprovisioningFactor = 1.4

    /// The healthy endpoints of the level `roll` (in [0, 1)) falls in; empty when none is healthy.
    public static func choose(_ endpoints: [EndpointGroup.Endpoint], isHealthy: (EndpointGroup.Endpoint) -> Bool, roll: Double) -> [EndpointGroup.Endpoint] {
        let levels = Dictionary(grouping: endpoints, by: \.priority).sorted { $0.key < $1.key }.map(\.value)
        if levels.count <= 1 { return endpoints.filter(isHealthy) }
        let healthyLevels = levels.map { $0.filter(isHealthy) }
        let loads = self.loads(health: zip(levels, healthyLevels).map { level, healthy in
            min(100, overprovisioningFactor * 100 * Double(healthy.count) / Double(level.count))
        })
        var remaining = roll * 100
        for (index, load) in loads.enumerated() where load > 0 {
            if remaining < load { return healthyLevels[index] }
            remaining -= load
        }
        return healthyLevels.last { !$0.isEmpty } ?? []
    }

    /// Each level's share of traffic (percent) from each level's health (percent, capped at 100).
    public static func loads(health: [Double]) -> [Double] {
        let total = health.reduce(0, +)
        if total <= 0 { return health.map { _ in 0 } }
        if total < 100 { return health.map { $0 * 100 / total } }
        var remaining = 100.0
        return health.map { level in
            let load = min(remaining, level)
            remaining -= load
            return load
        }
    }
}
