/// Where a workload runs: `region/zone/subzone`, as Istio's locality.
public struct Locality: Sendable, Hashable {
    public var region: String
    public var zone: String
    public var subzone: String

    public init(region: String = "", zone: String = "", subzone: String = "") {
        self.region = region
        self.zone = zone
        self.subzone = subzone
    }

    /// Parses `region/zone/subzone` (parts may be missing).
    public init(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        self.init(region: parts.count > 0 ? parts[0] : "", zone: parts.count > 1 ? parts[1] : "", subzone: parts.count > 2 ? parts[2] : "")
    }

    /// A pod's locality from its labels, as Istio reads them: Kubernetes' topology labels, else
    /// `istio-locality` (`region.zone.subzone`).
    public static func from(labels: [String: String]) -> Locality {
        if let region = labels["topology.kubernetes.io/region"] {
            return Locality(region: region, zone: labels["topology.kubernetes.io/zone"] ?? "", subzone: labels["topology.istio.io/subzone"] ?? "")
        }
        if let text = labels["istio-locality"] { return Locality(text.replacingDots) }
        return Locality()
    }

    public var description: String {
        subzone.isEmpty ? (zone.isEmpty ? region : "\(region)/\(zone)") : "\(region)/\(zone)/\(subzone)"
    }

    /// Whether `pattern` (`region[/zone[/subzone]]`, `*` matching any part) covers this locality.
    public func matches(_ pattern: String) -> Bool {
        let parts = pattern.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        for (index, own) in [region, zone, subzone].enumerated() where index < parts.count {
            if parts[index] == "*" { return true }
            if parts[index] != own { return false }
        }
        return true
    }
}

private extension String {
    var replacingDots: String { String(map { $0 == "." ? "/" : $0 }) }
}
